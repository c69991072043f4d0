"""The two ways a checkpoint can be wrong: unreadable, or not fitting."""


class CheckpointError(ValueError):
    """A checkpoint cannot be read; the message names the file and why."""


class CheckpointMismatch(ValueError):
    """A state dict is not a CAV-MAE checkpoint of the expected layout, or
    does not fit the model it is loaded into."""
