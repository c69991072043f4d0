"""The command line the tools share: help formatter, common arguments and
model start-up.

Standard library only: a tool builds its parser with this module and parses
its arguments (answering ``--help`` at once) before it imports torch,
MMEngine or cavmae_mm; :func:`start_model` imports them when it is called.

A tool in tools/ finds this module next to it (Python puts a script's folder
first on ``sys.path``). A tool in a sub-folder (tools/data, tools/misc, ...)
appends tools/ to ``sys.path`` with one line before importing it (the
only ``sys.path`` edit a tool makes; appended, so that tools/test.py never
shadows the standard library's ``test``)::

    # tools/, for the shared command line (cli_common.py)
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    import cli_common  # noqa: E402

A tool's helper modules next to it (``data/batch_jobs.py``,
``analysis_tools/data_tools.py``) are found the same way as this one from
tools/: the script's own folder comes first on ``sys.path``.
"""
import argparse
from typing import Optional


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter,
                    argparse.RawDescriptionHelpFormatter):
    """Each option's default in its help; the epilog as written."""


def make_parser(doc: str,
                description: Optional[str] = None,
                **kwargs) -> argparse.ArgumentParser:
    """A parser that shows each option's default: its description is the
    first line of the tool's docstring ``doc`` (or ``description``), its
    epilog the rest of the docstring as written."""
    lines = doc.strip('\n').splitlines()
    kwargs.setdefault('epilog', '\n'.join(lines[2:]))
    return argparse.ArgumentParser(
        description=description or lines[0],
        formatter_class=HelpFormatter,
        **kwargs)


#: Help texts of the common arguments.
CONFIG_HELP = 'config file or model-zoo name'
CHECKPOINT_HELP = "checkpoint file or URL (this package's or official)"
CFG_OPTIONS_HELP = 'override config entries, key=value'


def add_model_args(parser: argparse.ArgumentParser,
                   config_help: str = CONFIG_HELP,
                   checkpoint_help: str = CHECKPOINT_HELP,
                   device: Optional[str] = 'cpu',
                   cfg_options_help: str = CFG_OPTIONS_HELP) -> None:
    """The positional ``config`` and ``checkpoint``, ``--device`` (unless
    ``device`` is None) and ``--cfg-options``: what :func:`start_model`
    reads."""
    parser.add_argument('config', help=config_help)
    parser.add_argument('checkpoint', help=checkpoint_help)
    if device is not None:
        add_device(parser, device)
    add_cfg_options(parser, cfg_options_help)


def add_zoo_model_args(parser: argparse.ArgumentParser,
                       config_default: Optional[str] = None) -> None:
    """``--config`` (a config file or a model-zoo name), ``--checkpoint``
    (default: the zoo entry's weights), ``--device`` and ``--cfg-options``:
    what :func:`start_model` reads with ``zoo=True``."""
    parser.add_argument(
        '--config',
        required=config_default is None,
        default=config_default,
        help=CONFIG_HELP)
    parser.add_argument(
        '--checkpoint',
        help='checkpoint file or URL; none: '
        "the model-zoo entry's weights")
    add_device(parser)
    add_cfg_options(parser)


def add_window_args(parser: argparse.ArgumentParser) -> None:
    """--window / --stride: how recordings longer than the model's clip are
    taken, window by window (cavmae_mm.apis.long_media)."""
    group = parser.add_argument_group('long recordings')
    group.add_argument(
        '--window',
        type=float,
        help="window length in seconds; none: the model's clip length")
    group.add_argument(
        '--stride',
        type=float,
        help='seconds between windows; none: half the window')


def check_window_args(parser: argparse.ArgumentParser,
                      args: argparse.Namespace) -> None:
    """Exits with a usage error for a non-positive --window or --stride."""
    for name in ('window', 'stride'):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f'--{name} must be > 0')


def add_device(parser: argparse.ArgumentParser, default: str = 'cpu') -> None:
    """``--device``: where the model runs."""
    parser.add_argument('--device', default=default, help='e.g. cpu, cuda')


def add_cfg_options(parser: argparse.ArgumentParser,
                    help: str = CFG_OPTIONS_HELP) -> None:
    """``--cfg-options KEY=VALUE ...``: config overrides (see
    :func:`cfg_options`)."""
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE', help=help)


def cfg_options(
        args: argparse.Namespace,
        parser: Optional[argparse.ArgumentParser] = None) -> Optional[dict]:
    """The parsed ``--cfg-options`` as a dict (None without any); imports
    MMEngine.

    Args:
        parser (ArgumentParser, optional): Report a malformed entry as its
            usage error (exit code 2); else it raises ``ValueError``.
    """
    from cavmae_mm.config import parse_cfg_options
    try:
        return parse_cfg_options(getattr(args, 'cfg_options', None))
    except ValueError as err:
        if parser is None:
            raise
        parser.error(str(err))


def start_model(args: argparse.Namespace,
                zoo: bool = False,
                device: Optional[str] = None):
    """Model start-up, after parsing: ``cavmae_mm.apis.init_model`` of
    ``args.config`` and ``args.checkpoint`` on ``args.device`` (or
    ``device``) with ``args.cfg_options``.

    Args:
        args (Namespace): Parsed by a parser with :func:`add_model_args` or
            :func:`add_zoo_model_args`.
        zoo (bool): Resolve ``args.config`` as a model-zoo name too, and a
            missing checkpoint as the zoo entry's weights.
        device (str, optional): Overrides ``args.device`` (for tools
            without ``--device``).

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` attached.

    Raises:
        Whatever ``init_model`` (and, with ``zoo``, the model-zoo look-up)
        raises: ``ValueError`` for an unknown zoo name, ``FileNotFoundError``
        for a missing file, ...
    """
    from cavmae_mm.apis import init_model
    config, checkpoint = args.config, args.checkpoint
    if zoo:
        from cavmae_mm.checkpoint import resolve_model
        config, checkpoint = resolve_model(config, checkpoint)
    return init_model(config, checkpoint, device or args.device,
                      cfg_options(args))
