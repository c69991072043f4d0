"""cavmae_mm.evaluation.per_class: dumps read back, matrices, per-class
rows, and where a config's test data takes its classes from."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config

from cavmae_mm.evaluation.per_class import (Predictions, as_single_label,
                                            config_test_labels,
                                            confusion_matrix, load_predictions,
                                            per_class_accuracy)


def dump(path, records):
    with open(path, 'wb') as handle:
        pickle.dump(records, handle)
    return path


def test_index_and_multi_hot_labels(tmp_path):
    single = load_predictions(
        dump(tmp_path / 's.pkl', [
            dict(
                pred_score=torch.tensor([0.1, 0.9]),
                gt_label=torch.tensor([1]),
                video_id='a')
        ]))
    assert single.single_label and single.labels.tolist() == [1]
    assert single.video_ids == ['a'] and single.num_classes == 2
    multi = load_predictions(
        dump(tmp_path / 'm.pkl', [
            dict(
                pred_score=torch.tensor([0.1, 0.9]),
                gt_label=torch.tensor([1., 1.]))
        ]))
    assert not multi.single_label and multi.video_ids == ['0']


@pytest.mark.parametrize('records, message', [
    ([], 'expected a non-empty list'),
    ([dict(pred_score=torch.ones(2), gt_label=torch.tensor([2]))
      ], 'class index 2 outside [0, 2)'),
    ([dict(pred_score=torch.ones(2), gt_label=torch.ones(3))
      ], 'gt_label must be a class index or a vector of the 2 classes'),
    ([
        dict(pred_score=torch.ones(2), gt_label=torch.tensor([0])),
        dict(pred_score=torch.ones(3), gt_label=torch.tensor([0]))
    ], 'pred_score lengths differ'),
    ([dict(pred_score=torch.ones(2, 2), gt_label=torch.tensor([0]))
      ], 'prediction 0: pred_score has shape (2, 2)'),
])
def test_malformed_dumps_are_named(tmp_path, records, message):
    path = dump(tmp_path / 'bad.pkl', records)
    with pytest.raises(ValueError, match='bad.pkl') as info:
        load_predictions(path)
    assert message in str(info.value)


def test_single_label_rows():
    matrix = confusion_matrix(
        np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    rows = per_class_accuracy(matrix, ['a', 'b', 'c'])
    assert rows[0]['accuracy'] == 0.5 and rows[0]['confused_with'] == 'b'
    assert rows[1]['confused_with'] is None
    assert rows[2]['accuracy'] == 0.0 and rows[2]['confused_count'] == 1
    smoothed = Predictions(
        np.zeros((2, 3)), np.array([[.9, .05, .05], [.05, .05, .9]]),
        ['x', 'y'])
    assert as_single_label(smoothed).labels.tolist() == [0, 2]
    with pytest.raises(ValueError, match='clip y has 2 top classes'):
        as_single_label(
            smoothed._replace(labels=np.array([[1., 0, 0], [0, 1., 1.]])))


def test_classes_of_the_test_data_through_wrappers():
    cfg = Config(
        dict(
            test_dataloader=dict(
                dataset=dict(
                    type='Wrapper',
                    dataset=dict(
                        type='AudioVisualDataset',
                        data_root='/data/vgg',
                        label_file='labels.csv',
                        multi_label=False)))))
    assert config_test_labels(cfg) == dict(
        label_file='/data/vgg/labels.csv', multi_label=False)
    assert config_test_labels(Config(dict())) == dict(
        label_file=None, multi_label=True)
