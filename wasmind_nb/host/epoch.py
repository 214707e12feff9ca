"""The engine's clock for deadlines: the shared engine's epoch advances every :data:`EPOCH_TICK_S`
seconds, and a store's deadline is a number of those ticks (``host/engine.py`` ticks, ``host/context.py``
and the lanes count)."""

EPOCH_TICK_S = 0.01
