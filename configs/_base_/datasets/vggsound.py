# VGGSound finetuning data of the official recipes: 309 classes, single
# label, top-k accuracy. AudioSet's pipelines (including its fbank
# statistics, as the reference) except that evaluation targets are class
# indices.
_base_ = ['./audioset.py']

data_root = 'data/vggsound'
label_file = 'class_labels_indices_vgg.csv'
multi_label = False
ann_file_train = 'vgg_train_cleaned.json'
weights_file_train = 'data/vggsound/vgg_train_cleaned_weight.csv'
ann_file_test = 'vgg_test_cleaned.json'
dataset_args = dict(
    data_root=data_root, label_file=label_file, multi_label=multi_label)

# the AudioSet evaluation pipelines with this target step
eval_targets = dict(type='EncodeLabels', as_index=True)
val_pipeline = [*_base_.val_pipeline[:-2], eval_targets, _base_.eval_pack]
test_pipeline = [*_base_.test_pipeline[:-2], eval_targets, _base_.eval_pack]
val_pipeline_videos = [
    *_base_.val_pipeline_videos[:-2], eval_targets, _base_.eval_pack
]
test_pipeline_videos = [
    *_base_.test_pipeline_videos[:-2], eval_targets, _base_.eval_pack
]

train_dataloader = dict(
    sampler=dict(weights_file=weights_file_train),
    dataset=dict(dataset=dict(ann_file=ann_file_train, **dataset_args)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test, pipeline=val_pipeline, **dataset_args))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test, pipeline=test_pipeline, **dataset_args))
val_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', ),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
