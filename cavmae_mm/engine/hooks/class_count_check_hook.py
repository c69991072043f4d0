"""Stops a run whose classifier and label CSV disagree on the classes."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from cavmae_mm.registry import HOOKS

_LOOPS = (('train', '_train_loop'), ('val', '_val_loop'), ('test',
                                                           '_test_loop'))


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Checks, before anything runs, that every data set of the run has as
    many classes as the model's classification head.

    Without it a 4-class head trained on a 6-class label CSV stops mid-run
    with a bare ``IndexError: Target 4 is out of bounds`` (single label) or
    a shape error (multi-label), and a test runs a metric that means
    nothing. Models without ``cls_head`` (pretraining) are not checked.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        head = getattr(model, 'cls_head', None)
        if head is None or not hasattr(head, 'num_classes'):
            return
        for name, attribute in _LOOPS:
            loop = getattr(runner, attribute, None)
            dataloader = getattr(loop, 'dataloader', None)
            dataset = getattr(dataloader, 'dataset', None)
            metainfo = getattr(dataset, 'metainfo', None) or {}
            classes = metainfo.get('num_classes')
            if classes is not None and classes != head.num_classes:
                label_file = getattr(
                    getattr(dataset, 'dataset', dataset), 'label_file',
                    'the label CSV')
                raise ValueError(
                    f'{label_file}: the {name} data has {classes} classes, '
                    f'but the model classifies {head.num_classes} '
                    '(model.cls_head.num_classes); make them agree')
