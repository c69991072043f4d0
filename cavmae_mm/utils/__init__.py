"""Utilities: audio and video I/O, the pinned stack's compatibility fixes,
and the run's set-up (run config, environment, audio front end settings,
the frame mixup formula). Checkpoints are :mod:`cavmae_mm.checkpoint`."""
