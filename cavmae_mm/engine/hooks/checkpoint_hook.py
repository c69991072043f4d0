"""MMEngine's CheckpointHook with writes that a crash cannot half-do."""
import contextlib
import os
import os.path as osp
import re
from typing import Iterator, Optional

from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log

from cavmae_mm.registry import HOOKS

#: Name of a checkpoint (or ``last_checkpoint``) being written: hidden, in
#: the folder of the final file, with the writer's process id.
_TEMP = re.compile(r'^\..+\.\d+\.tmp$')


def temporary_name(path: str) -> str:
    """Where ``path`` is written before it is renamed to ``path``."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}.{os.getpid()}.tmp')


def _fsync_file(path: str) -> None:
    with open(path, 'rb') as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: str) -> None:
    handle = os.open(folder or '.', os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def publish(temporary: str, path: str) -> None:
    """Makes the complete file ``temporary`` appear as ``path`` in one
    step: fsync, ``os.replace``, fsync of the folder."""
    _fsync_file(temporary)
    os.replace(temporary, path)
    _fsync_folder(osp.dirname(path))


def write_atomically(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary file: a reader sees
    the old text or the new one, never a part."""
    temporary = temporary_name(path)
    with open(temporary, 'w') as file:
        file.write(text)
    publish(temporary, path)


def remove_stray_temporaries(folder: str) -> None:
    """Deletes the temporary files of interrupted writes in ``folder``."""
    if not osp.isdir(folder):
        return
    for name in os.listdir(folder):
        if _TEMP.match(name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(osp.join(folder, name))
            print_log(
                f'removed {osp.join(folder, name)}, the partial file of an '
                'interrupted checkpoint save',
                logger='current')


@HOOKS.register_module(name=['CheckpointHook', 'AtomicCheckpointHook'])
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` (same arguments) whose saves survive a
    crash at any moment.

    Registered in this package's registry as ``CheckpointHook``: every
    config with ``default_scope='cavmae_mm'`` (every config of this
    package, and a user's own built on them) that asks for
    ``type='CheckpointHook'`` gets this one; ``mmengine.CheckpointHook``
    names MMEngine's.

    MMEngine's hook deletes the checkpoint that falls out of
    ``max_keep_ckpts`` before it saves the new one, writes the checkpoint
    and ``last_checkpoint`` in place: a run killed during a save can be
    left with a truncated latest checkpoint, or with ``last_checkpoint``
    naming a file already deleted. Here, in a local work dir, each
    checkpoint (and the best one) is written to a hidden temporary name in
    its folder, fsynced and renamed (``os.replace``); then
    ``last_checkpoint`` is replaced the same way, and only then is the
    checkpoint that fell out of ``max_keep_ckpts`` deleted. A kill during
    a save leaves the previous checkpoint as the latest, complete; the
    stray temporary file (``.NAME.PID.tmp``) is ignored by resuming and
    removed at the next save. Other storage backends are written as
    MMEngine does.

    Before each save, on every rank, it calls the hooks'
    ``collect_checkpoint_state(runner)`` (e.g. ``RandomStateHook``
    gathering every rank's random generators): MMEngine's
    ``before_save_checkpoint`` runs on rank 0 only, inside the save.
    """

    def _local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_to(self, runner, out_dir: str, filename: str, **kwargs) -> None:
        """``runner.save_checkpoint`` to a temporary name, then renamed."""
        path = osp.join(out_dir, filename)
        temporary = temporary_name(path)
        type(runner).save_checkpoint(runner, out_dir, osp.basename(temporary),
                                     **kwargs)
        if is_main_process():
            publish(temporary, path)

    @contextlib.contextmanager
    def _atomic_saves(self, runner) -> Iterator[None]:
        """Within the block ``runner.save_checkpoint`` writes atomically."""

        def save(out_dir: str, filename: str, *args, **kwargs) -> None:
            if args:  # MMEngine passes file_client_args by position
                kwargs['file_client_args'] = args[0]
            self._save_to(runner, out_dir, filename, **kwargs)

        runner.save_checkpoint = save
        try:
            yield
        finally:
            del runner.save_checkpoint

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._local():
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        runner.call_hook('collect_checkpoint_state')
        dropped: Optional[int] = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                dropped = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        if is_main_process():
            remove_stray_temporaries(self.out_dir)
            if osp.abspath(runner.work_dir) != osp.abspath(self.out_dir):
                remove_stray_temporaries(runner.work_dir)
        self._save_to(
            runner,
            self.out_dir,
            filename,
            file_client_args=self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        write_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if dropped is not None and dropped != step:
            old = osp.join(self.out_dir, self.filename_tmpl.format(dropped))
            if osp.isfile(old):
                os.remove(old)
            elif osp.isdir(old):  # checkpoints saved by DeepSpeed
                self.file_backend.rmtree(old)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self._local():
            super()._save_best_checkpoint(runner, metrics)
            return
        runner.call_hook('collect_checkpoint_state')
        with self._atomic_saves(runner):
            super()._save_best_checkpoint(runner, metrics)
