"""The workshop: the command line, benchmarks, recipe races, the paper-code reference and the
synth export. The study (the modules of :mod:`cinr_lab` the notebooks import) never imports it
(``tests/test_packaging.py`` walks the imports)."""
