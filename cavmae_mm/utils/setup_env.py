"""Registers this package's modules and sets the default scope."""
import datetime

from mmengine import DefaultScope

from cavmae_mm.registry import SCOPE


def register_all_modules(init_default_scope: bool = True) -> None:
    """Imports every registering module of cavmae_mm (and MMAction2's).

    Args:
        init_default_scope (bool): Also make ``cavmae_mm`` the current default
            scope, so that bare names in configs resolve to this package and,
            through the parent registries, to MMAction2 and MMEngine.
    """
    import cavmae_mm  # noqa: F401  (registers MMAction2's and ours)

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != SCOPE:
        # a new instance name each time, as MMAction2's helper does
        name = f'{SCOPE}-{datetime.datetime.now():%Y%m%d-%H%M%S-%f}'
        DefaultScope.get_instance(name, scope_name=SCOPE)
