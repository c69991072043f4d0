"""Registries of cavmae_mm: children of MMAction2's, one per kind.

Every registry here has MMAction2's registry of the same kind as its parent,
so that with ``default_scope='cavmae_mm'`` a config reaches this package's
components by their bare names and MMAction2's (and MMEngine's) components
through the parent chain, without a scope prefix. ``locations`` lists the
modules that register into each registry; they are imported on first use
(a registry gets its location when this package first registers into it).
"""
from mmaction.registry import DATA_SAMPLERS as MMACTION_DATA_SAMPLERS
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmaction.registry import EVALUATOR as MMACTION_EVALUATOR
from mmaction.registry import FUNCTION as MMACTION_FUNCTION
from mmaction.registry import HOOKS as MMACTION_HOOKS
from mmaction.registry import INFERENCERS as MMACTION_INFERENCERS
from mmaction.registry import LOG_PROCESSORS as MMACTION_LOG_PROCESSORS
from mmaction.registry import LOOPS as MMACTION_LOOPS
from mmaction.registry import METRICS as MMACTION_METRICS
from mmaction.registry import MODEL_WRAPPERS as MMACTION_MODEL_WRAPPERS
from mmaction.registry import MODELS as MMACTION_MODELS
from mmaction.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMACTION_OPTIM_WRAPPER_CONSTRUCTORS
from mmaction.registry import OPTIM_WRAPPERS as MMACTION_OPTIM_WRAPPERS
from mmaction.registry import OPTIMIZERS as MMACTION_OPTIMIZERS
from mmaction.registry import PARAM_SCHEDULERS as MMACTION_PARAM_SCHEDULERS
from mmaction.registry import \
    RUNNER_CONSTRUCTORS as MMACTION_RUNNER_CONSTRUCTORS
from mmaction.registry import RUNNERS as MMACTION_RUNNERS
from mmaction.registry import TASK_UTILS as MMACTION_TASK_UTILS
from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
from mmaction.registry import VISBACKENDS as MMACTION_VISBACKENDS
from mmaction.registry import VISUALIZERS as MMACTION_VISUALIZERS
from mmaction.registry import \
    WEIGHT_INITIALIZERS as MMACTION_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'cavmae_mm'

RUNNERS = Registry(
    'runner',
    parent=MMACTION_RUNNERS,
    scope=SCOPE,
    locations=['cavmae_mm.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMACTION_RUNNER_CONSTRUCTORS, scope=SCOPE)
LOOPS = Registry(
    'loop', parent=MMACTION_LOOPS, scope=SCOPE, locations=['cavmae_mm.engine'])
HOOKS = Registry(
    'hook', parent=MMACTION_HOOKS, scope=SCOPE, locations=['cavmae_mm.engine'])

DATASETS = Registry(
    'dataset',
    parent=MMACTION_DATASETS,
    scope=SCOPE,
    locations=['cavmae_mm.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMACTION_DATA_SAMPLERS,
    scope=SCOPE,
    locations=['cavmae_mm.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMACTION_TRANSFORMS,
    scope=SCOPE,
    locations=['cavmae_mm.datasets.transforms'])

MODELS = Registry(
    'model',
    parent=MMACTION_MODELS,
    scope=SCOPE,
    locations=['cavmae_mm.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMACTION_MODEL_WRAPPERS,
    scope=SCOPE,
    locations=['cavmae_mm.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMACTION_WEIGHT_INITIALIZERS,
    scope=SCOPE,
    locations=['cavmae_mm.models'])

OPTIMIZERS = Registry('optimizer', parent=MMACTION_OPTIMIZERS, scope=SCOPE)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMACTION_OPTIM_WRAPPERS,
    scope=SCOPE,
    locations=['cavmae_mm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
    scope=SCOPE)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMACTION_PARAM_SCHEDULERS, scope=SCOPE)

METRICS = Registry(
    'metric',
    parent=MMACTION_METRICS,
    scope=SCOPE,
    locations=['cavmae_mm.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMACTION_EVALUATOR, scope=SCOPE)

TASK_UTILS = Registry(
    'task util',
    parent=MMACTION_TASK_UTILS,
    scope=SCOPE,
    locations=['cavmae_mm.models'])
VISUALIZERS = Registry('visualizer', parent=MMACTION_VISUALIZERS, scope=SCOPE)
VISBACKENDS = Registry('vis_backend', parent=MMACTION_VISBACKENDS, scope=SCOPE)
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMACTION_LOG_PROCESSORS, scope=SCOPE)
INFERENCERS = Registry('inferencer', parent=MMACTION_INFERENCERS, scope=SCOPE)
FUNCTION = Registry('function', parent=MMACTION_FUNCTION, scope=SCOPE)
