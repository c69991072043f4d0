"""MMEngine's runner with a start-up log that fits on a screen."""
import logging
import os.path as osp
import platform

import mmengine
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner, get_priority
from mmengine.utils.dl_utils import collect_env

from cavmae_mm.registry import RUNNERS
from cavmae_mm.version import __version__


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
    stage on one line. Everything else is MMEngine's runner unchanged
    (every config selects it with ``runner_type``, as MMAction2's tools
    build it).
    """

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
