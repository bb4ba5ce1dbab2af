"""The composition root: the ``ihanoi`` command line and the wiring of one deployment (settings,
database, write side, read side), and the seeded simulation the demo, the benchmarks and the
tests play; it imports every other package, and none imports it."""
