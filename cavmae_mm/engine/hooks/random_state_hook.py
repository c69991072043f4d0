"""Saves every rank's random generators in the checkpoints and restores
them when a run is resumed."""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook

from cavmae_mm.registry import HOOKS

#: Where the states are in a checkpoint.
CHECKPOINT_KEY = 'random_state'


def capture_random_state() -> Dict[str, Any]:
    """This process's generators: Python's ``random``, numpy's global one,
    torch's CPU one and, when CUDA is in use, the current device's.

    Everything is a plain int, float, list or tensor, so that
    ``torch.load(weights_only=True)`` reads it back.
    """
    version, internal, gauss_next = random.getstate()
    _, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=dict(
            version=version, state=list(internal), gauss_next=gauss_next),
        numpy=dict(
            keys=torch.from_numpy(keys.astype(np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        device = torch.cuda.current_device()
        state['cuda'] = dict(
            device=device, state=torch.cuda.get_rng_state(device))
    return state


def restore_random_state(state: Dict[str, Any]) -> List[str]:
    """Sets this process's generators to ``state`` (from
    :func:`capture_random_state`).

    Returns:
        list[str]: The generators restored, e.g. ``['python', 'numpy',
        'torch CPU']``.
    """
    python = state['python']
    random.setstate(
        (python['version'], tuple(python['state']), python['gauss_next']))
    numpy = state['numpy']
    np.random.set_state(
        ('MT19937', numpy['keys'].numpy().astype(np.uint32), numpy['pos'],
         numpy['has_gauss'], numpy['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    restored = ['python', 'numpy', 'torch CPU']
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(cuda['state'], torch.cuda.current_device())
        restored.append('CUDA')
    return restored


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Makes a resumed run draw the random numbers the interrupted one
    would have drawn.

    The model's masks, dropout and the on-device augmentation draw from
    the training process's global generators. MMEngine saves none of them
    and re-seeds on resume, so a resumed run masks differently from the
    first iteration on. This hook

    - stores the generators of every rank (Python's ``random``, numpy's,
      torch's CPU one, the current CUDA device's) in each checkpoint, under
      ``'random_state'``, as plain values that
      ``torch.load(weights_only=True)`` reads. The states are gathered from
      all ranks by ``collect_checkpoint_state``, which this package's
      ``CheckpointHook`` calls on every rank just before it saves
      (MMEngine's ``before_save_checkpoint`` runs on rank 0 only, inside
      the save, where a collective would hang). A checkpoint saved by
      another hook in a distributed run gets no states (a warning says
      so); in a single process they are taken in ``before_save_checkpoint``;
    - restores this rank's states in ``before_train`` of a resumed run
      (after MMEngine's resume re-seeded) and logs one line of what was
      restored and where the sampler continues. A checkpoint of another
      world size gets a warning naming both sizes and nothing is restored:
      MMEngine allows changing the GPU count (with ``auto_scale_lr``), and
      such a run cannot repeat the interrupted one anyway;
    - keeps validation from moving the training stream: the states are
      taken in ``before_val`` and put back in ``after_val`` (a run resumed
      from an epoch checkpoint does not repeat that epoch's validation).
      A checkpoint saved during validation (the best one, and the epoch
      checkpoint saved again with its new best score) holds the states of
      before validation.

    The data pipeline's randomness is seeded per sample by
    ``ResumableEpochBasedTrainLoop`` and needs no state here.
    """

    priority = 'LOWEST'  # restores last in before_train

    def __init__(self) -> None:
        self._gathered: Optional[tuple] = None
        self._val_state: Optional[Dict[str, Any]] = None
        self._loaded: Optional[Dict[str, Any]] = None
        self._warned = False

    def _local_state(self) -> Dict[str, Any]:
        if self._val_state is not None:
            return self._val_state
        return capture_random_state()

    def collect_checkpoint_state(self, runner) -> None:
        """Gathers every rank's states for the checkpoint about to be
        saved (a collective: call it on every rank)."""
        local = self._local_state()
        states = all_gather_object(local) if get_world_size() > 1 \
            else [local]
        self._gathered = (runner.iter, states)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._gathered is not None and self._gathered[0] == runner.iter:
            states = self._gathered[1]
        elif get_world_size() == 1:
            states = [self._local_state()]
        else:
            if not self._warned:
                self._warned = True
                runner.logger.warning(
                    'RandomStateHook: a checkpoint was saved without '
                    "cavmae_mm's CheckpointHook, which gathers the ranks' "
                    'random states; a run resumed from it is not '
                    'bit-identical')
            return
        checkpoint[CHECKPOINT_KEY] = dict(
            world_size=len(states), ranks=list(states))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        self._loaded = dict(
            iter=meta.get('iter'), states=checkpoint.get(CHECKPOINT_KEY))

    def before_train(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is None or loaded['iter'] != runner.iter or \
                runner.iter == 0:
            return  # not a resumed run (nothing, or load_from weights)
        saved = loaded['states']
        if saved is None:
            runner.logger.warning(
                'the checkpoint has no random state (saved without '
                'RandomStateHook): the resumed run draws other masks and '
                'augmentations than the interrupted one would have')
            return
        world = get_world_size()
        if saved['world_size'] != world:
            runner.logger.warning(
                f'the checkpoint holds the random state of '
                f'{saved["world_size"]} ranks, this run has {world}: '
                'nothing restored, the resumed run is not bit-identical')
            return
        restored = restore_random_state(saved['ranks'][get_rank()])
        runner.logger.info(
            f'restored the random state of {world} '
            f'rank{"s" if world > 1 else ""} ({", ".join(restored)}) and '
            f'{self._position(runner)}')

    @staticmethod
    def _position(runner) -> str:
        from cavmae_mm.engine.loops import (SEED_KEY,
                                            ResumableEpochBasedTrainLoop)
        loop = runner.train_loop
        per_epoch = len(loop.dataloader)
        done = runner.iter - runner.epoch * per_epoch
        if not isinstance(loop, ResumableEpochBasedTrainLoop):
            return (f'epoch {runner.epoch + 1} restarts from its first '
                    f'batch ({type(loop).__name__} does not continue an '
                    'epoch; ResumableEpochBasedTrainLoop does)')
        seed = runner.message_hub.get_info(SEED_KEY)
        seed = '' if seed is None else f', sampler seed {seed}'
        return (f'the sampler position: epoch {runner.epoch + 1}, after '
                f'{done} of its {per_epoch} iterations{seed}')

    def before_val(self, runner) -> None:
        self._val_state = capture_random_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            restore_random_state(self._val_state)
            self._val_state = None
