"""MMEngine's runner with a start-up log that fits on a screen and a
resume that names an unreadable checkpoint (or falls back from it)."""
import copy
import glob
import logging
import os
import os.path as osp
import pickle
import platform
import zipfile
from typing import List, Optional

import mmengine
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, get_priority
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)
from mmengine.utils.dl_utils import collect_env

from cavmae_mm.checkpoint import (init_cfg_set_aside, load_pretrained,
                                  pretrained_checkpoint)
from cavmae_mm.config import fill_input_geometry
from cavmae_mm.registry import RUNNERS
from cavmae_mm.version import __version__

#: What reading a damaged or foreign file may raise.
_READ_ERRORS = (OSError, RuntimeError, EOFError, ValueError, KeyError,
                TypeError, pickle.UnpicklingError, zipfile.BadZipFile)
#: What a checkpoint must hold to be resumed from.
_RESUME_KEYS = ('meta', 'state_dict', 'message_hub')


class CheckpointReadError(RuntimeError):
    """A checkpoint that cannot be resumed from.

    Attributes:
        filename (str): The file.
        reason (str): Why, in one line.
    """

    def __init__(self, filename: str, reason: str, advice: str = '') -> None:
        self.filename, self.reason = filename, reason
        super().__init__(f'{filename}: cannot resume from this checkpoint: '
                         f'{reason}{advice}')


def _reason(err: Exception) -> str:
    """The error in one line; of torch's weights-only refusal, the part
    that says what it met (not its advice to turn the check off)."""
    text = str(err)
    marker = 'WeightsUnpickler error:'
    if marker in text:
        detail = text.split(marker, 1)[1].split('Check the documentation')[0]
        text = f'the weights-only unpickler refused it: {detail}'
    text = ' '.join(text.split())
    if len(text) > 300:
        text = text[:297] + '...'
    return f'{type(err).__name__}: {text}'


def read_resume_checkpoint(filename: str,
                           map_location=None,
                           training_state: bool = False) -> dict:
    """The checkpoint ``filename`` if a run can resume from it.

    Args:
        filename (str): Path (or URL) of the checkpoint.
        map_location: As ``torch.load``'s.
        training_state (bool): Also require the optimizer's state (a
            checkpoint saved by a CheckpointHook, not a best or published
            one).

    Raises:
        CheckpointReadError: The file is missing, truncated, not a
            checkpoint, or lacks what resuming needs; the message names the
            file and the reason.
    """
    try:
        checkpoint = _load_checkpoint(filename, map_location=map_location)
    except _READ_ERRORS as err:
        raise CheckpointReadError(filename, _reason(err)) from err
    required = _RESUME_KEYS + (('optimizer', ) if training_state else ())
    if not isinstance(checkpoint, dict):
        raise CheckpointReadError(
            filename, f'it holds a {type(checkpoint).__name__}, not a '
            'training checkpoint')
    missing = [key for key in required if key not in checkpoint]
    meta = checkpoint.get('meta')
    if not missing and not (isinstance(meta, dict) and 'epoch' in meta
                            and 'iter' in meta):
        missing = ['meta.epoch', 'meta.iter']
    if missing:
        raise CheckpointReadError(
            filename, f'it has no {", ".join(missing)} (not a training '
            'checkpoint: e.g. a best, published or converted one)')
    return checkpoint


def resume_candidates(folders: List[str], exclude: List[str]) -> List[str]:
    """The ``*.pth`` files of ``folders``, newest first, without the
    hidden ones (partial writes) and ``exclude``."""
    excluded = {osp.abspath(path) for path in exclude}
    found = {
        osp.abspath(path)
        for folder in folders
        for path in glob.glob(osp.join(folder, '*.pth'))
    }
    found -= excluded
    return sorted(found, key=lambda path: -os.stat(path).st_mtime)


def _priority_name(priority) -> str:
    value = get_priority(priority)
    names = [p.name for p in mmengine.runner.Priority if p.value == value]
    return names[0] if names else str(value)


@RUNNERS.register_module()
class CAVMAERunner(Runner):
    """:class:`mmengine.runner.Runner` that logs the environment in one line
    and the config by its path.

    MMEngine's runner writes about 30 lines of system environment and the
    whole config (200 to 300 lines) into the log before anything happens.
    Here the log gets one line of what decides a run's numbers (versions,
    device, seed, launcher, world size) and the path of the config copy
    that the runner saves in the work dir; the full environment and config
    go to the log at DEBUG level. The table of hooks per stage lists each
    stage on one line.

    Resuming from a checkpoint that cannot be read (missing, truncated,
    not a checkpoint, without the training state) stops with a
    :class:`CheckpointReadError` that names the file and the reason and
    suggests ``--resume-fallback``; with ``resume_fallback=True`` in the
    config (``tools/train.py --resume-fallback``) the run resumes from the
    newest readable training checkpoint of the checkpoint's folder and the
    work dir instead, and a warning names both files and the reason. The
    same flag resumes from the newest checkpoint of a work dir that has
    checkpoints but no ``last_checkpoint`` (without it, a warning: the run
    starts from scratch, as MMEngine's does). Everything else is MMEngine's
    runner unchanged (every config selects it with ``runner_type``, as
    MMAction2's tools build it).
    """

    _resuming = False  # checked reads in load_checkpoint
    _need_training_state = False  # fallback candidates: optimizer too
    _start_from: Optional[str] = None  # load_from of a training start

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'CAVMAERunner':
        """MMEngine's ``from_cfg`` on a copy of ``cfg`` whose
        ``input_geometry`` has been handed to the model and the data
        (:func:`cavmae_mm.config.fill_input_geometry`), so that a
        config built by MMAction2's own tools runs with the sizes it
        states."""
        return super().from_cfg(fill_input_geometry(copy.deepcopy(cfg)))

    def train(self) -> torch.nn.Module:
        """MMEngine's ``train``. A ``load_from`` given to a run that does
        not resume is where training starts: the model's own pretrained
        initialisation (a model-level ``Pretrained`` init_cfg) is skipped
        and the file goes through the same strict loader
        (:func:`cavmae_mm.checkpoint.load_pretrained`: official files as
        released, the parts a recipe replaces reported, shapes checked)."""
        self._start_from = self._load_from if self._load_from and \
            not self._resume else None
        return super().train()

    def _bare_model(self) -> torch.nn.Module:
        return self.model.module if is_model_wrapper(self.model) \
            else self.model

    def _init_model_weights(self) -> None:
        """MMEngine's, without the model's pretrained checkpoint when the
        run starts from ``load_from`` (see :meth:`train`)."""
        model = self._bare_model()
        default = pretrained_checkpoint(getattr(model, 'init_cfg', None))
        if self._start_from is None or default is None:
            super()._init_model_weights()
            return
        self.logger.info(
            f'load_from={self._start_from}: training starts from it; the '
            f"model's pretrained initialisation ({default}) is skipped")
        with init_cfg_set_aside(model):
            super()._init_model_weights()

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """MMEngine's ``load_checkpoint``; while resuming, a file that
        cannot be resumed from raises :class:`CheckpointReadError` before
        anything is loaded into the run."""
        if not self._resuming:
            return super().load_checkpoint(filename, map_location, strict,
                                           revise_keys)
        checkpoint = read_resume_checkpoint(
            filename, map_location, training_state=self._need_training_state)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _fallback_folders(self, filename: Optional[str]) -> List[str]:
        folders = [self.work_dir]
        if filename and osp.dirname(osp.abspath(filename)) != osp.abspath(
                self.work_dir):
            folders.insert(0, osp.dirname(osp.abspath(filename)))
        return folders

    def _resume_newest(self, failed: Optional[CheckpointReadError],
                       filename: Optional[str], *args) -> None:
        """Resumes from the newest readable training checkpoint (after
        ``filename`` failed with ``failed``, or without last_checkpoint)."""
        folders = self._fallback_folders(filename)
        skipped = [failed] if failed is not None else []
        for candidate in resume_candidates(folders, [filename or '']):
            self._need_training_state = True
            try:
                super().resume(candidate, *args)
            except CheckpointReadError as err:
                skipped.append(err)
                continue
            finally:
                self._need_training_state = False
            why = f'{self.work_dir} has no last_checkpoint'
            if failed is not None:
                why = f'{filename} cannot be read ({failed.reason})'
            others = ''.join(f'; skipped {err.filename} ({err.reason})'
                             for err in skipped[1 if failed else 0:])
            self.logger.warning(
                f'--resume-fallback: {why}; resumed from {candidate}, the '
                f'newest readable training checkpoint of '
                f'{" and ".join(folders)}{others}')
            return
        reasons = ''.join(f'; {err.filename}: {err.reason}' for err in skipped)
        raise CheckpointReadError(
            filename or self.work_dir,
            f'--resume-fallback found no readable training checkpoint in '
            f'{" and ".join(folders)}{reasons}')

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location='default') -> None:
        """MMEngine's ``resume``, with the read checked first (see the
        class)."""
        args = (resume_optimizer, resume_param_scheduler, map_location)
        self._resuming = True
        try:
            try:
                super().resume(filename, *args)
                return
            except CheckpointReadError as err:
                if not self.cfg.get('resume_fallback', False):
                    raise CheckpointReadError(
                        filename, err.reason,
                        '. Resume from another checkpoint with --resume '
                        'PATH, or add --resume-fallback to resume from the '
                        'newest readable checkpoint of '
                        f'{" and ".join(self._fallback_folders(filename))}'
                    ) from err.__cause__
                self._resume_newest(err, filename, *args)
        finally:
            self._resuming = False

    def load_or_resume(self) -> None:
        """MMEngine's, except that auto-resuming in a work dir with
        checkpoints but no ``last_checkpoint`` is not silent, and that the
        ``load_from`` of a training start is loaded strictly (see
        :meth:`train`)."""
        if self._start_from is not None and not self._has_loaded:
            load_pretrained(self._bare_model(), self._start_from)
            self._has_loaded = True
            return
        if not self._has_loaded and self._resume and \
                self._load_from is None and not osp.isfile(
                    osp.join(self.work_dir, 'last_checkpoint')) and \
                resume_candidates([self.work_dir], []):
            if self.cfg.get('resume_fallback', False):
                self._resuming = True
                try:
                    self._resume_newest(None, None, True, True, 'default')
                finally:
                    self._resuming = False
                self._has_loaded = True
                return
            self.logger.warning(
                f'{self.work_dir} has checkpoints but no last_checkpoint: '
                'training starts from scratch; --resume-fallback resumes '
                'from the newest readable one')
        super().load_or_resume()

    def get_hooks_info(self) -> str:
        """The hooks of each stage in execution order, one line per stage
        (``stage: Hook (PRIORITY), ...``)."""
        lines = []
        for stage in Hook.stages:
            hooks = [
                f'{type(hook).__name__} ({_priority_name(hook.priority)})'
                for hook in self.hooks if stage in hook.get_triggered_stages()
            ]
            if hooks:
                lines.append(f'{stage}: {", ".join(hooks)}')
        return '\n'.join(lines)

    def _config_copy(self) -> str:
        name = osp.basename(self.cfg.filename) if self.cfg.filename \
            else f'{self.timestamp}.py'
        return osp.join(self.work_dir, name)

    def _log_env(self, env_cfg: dict) -> None:
        if torch.cuda.is_available():
            device = (f'CUDA {torch.version.cuda}, '
                      f'{torch.cuda.get_device_name(0)}')
        else:
            device = 'no CUDA'
        self.logger.info(
            f'Environment: Python {platform.python_version()}, PyTorch '
            f'{torch.__version__} ({device}), MMEngine {mmengine.__version__}'
            f', cavmae_mm {__version__}; seed {self._seed}, deterministic '
            f'{self._randomness_cfg.get("deterministic", False)}, '
            f'Distributed training: {self._distributed} (launcher '
            f'{self._launcher}, world size {self._world_size})')
        # the full texts only when a handler shows DEBUG: collecting the
        # environment and formatting the config take about half a second
        debug = any(h.level <= logging.DEBUG for h in self.logger.handlers)
        if debug:
            details = '\n'.join(f'    {k}: {v}' for k, v in {
                **collect_env(),
                **env_cfg
            }.items())
            self.logger.log(logging.DEBUG, f'System environment:\n{details}')
        if self.cfg._cfg_dict:
            self.logger.info(f'Config: {self._config_copy()} (the run\'s '
                             'config as saved in the work dir; its text is '
                             'logged at DEBUG level)')
            if debug:
                self.logger.log(logging.DEBUG,
                                f'Config:\n{self.cfg.pretty_text}')
