"""The reference's mixup formula for frames, shared by the pipeline (which
mixes on the CPU) and the data preprocessor (which mixes uint8 pairs on the
device)."""
from torch import Tensor


def mix_frames(first: Tensor, second: Tensor, lam: float) -> Tensor:
    """``lam * first + (1 - lam) * second`` in float32 on the 0-255 scale.

    Normalisation is affine, so this equals the reference's mixing of the
    normalised frames. The same float32 operations on any device give the
    same values, so mixing on the device is exact.

    Args:
        first (Tensor): Frames of the first clip (any dtype, 0-255 scale).
        second (Tensor): Frames of the partner, the same shape.
        lam (float): Weight of the first clip.

    Returns:
        Tensor: The mixed frames, float32.
    """
    if first.shape != second.shape:
        raise ValueError(f'frames to mix have shapes {tuple(first.shape)} '
                         f'and {tuple(second.shape)}')
    return lam * first.float() + (1 - lam) * second.float()
