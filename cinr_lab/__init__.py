"""cinr_lab: a notebook-first study of conditional implicit neural representations for audio.

The package stays thin: each module holds one concept (``nsynth`` reads NSynth-layout folders,
``soundfont`` renders the embedded stand-in set, ``audio`` reads and writes wav files, ``plots``
draws figures) and the numbered notebooks in ``notebooks/`` tell the story.
"""

__version__ = "0.1.0"
