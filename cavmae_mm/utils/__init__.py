"""Utilities: audio and video I/O, the pinned stack's compatibility fixes,
the environment set-up and the frame mixup formula. Configs are
:mod:`cavmae_mm.config`, checkpoints :mod:`cavmae_mm.checkpoint`, the audio
front end :mod:`cavmae_mm.audio`."""
