"""cinr_lab: a notebook-first study of conditional implicit neural representations for audio.

The study (what the notebooks import), one concept per module:

- data: ``nsynth`` (NSynth-layout folders), ``soundfont`` (the embedded stand-in), ``audio``;
- models: ``models`` (presets), ``pcinr``, ``tcnn``, ``parallel``, ``bacon``, ``activations``;
- training: ``recipes`` (``TrainConfig`` and the named recipes), ``train`` (the ``Trainer``),
  ``runfolder`` (what a run folder holds, written and read back), ``rendering`` (a trained run
  loaded and rendered);
- measuring: ``metrics``, ``analysis``, ``plots``, ``widgets``, ``experiments`` (rows and
  scales), ``table`` and ``beyond`` (their records), ``claims`` (the verdicts), ``pretrained``.

The workshop, :mod:`cinr_lab.ops`, which the study never imports: the command line, the
multi-run builds, benchmarks, recipe races, shipping runs, the paper-code reference and the synth
export.
"""

__version__ = "0.1.0"
