"""The composition root: the ``ihanoi`` command line and the wiring of one deployment (settings,
database, write side, read side); it imports every other package, and none imports it."""
