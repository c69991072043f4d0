# cavmae-ft_vggsound.py read from WebDataset shards
# (tools/data/pack_shards.py; docs/data_preparation.md): the same recipe and
# balanced sampling, only the data source differs.
_base_ = ['./cavmae-ft_vggsound.py', '_base_/datasets/shards.py']

eval_shards = dict(
    type=_base_.shard_dataset,
    ann_file='shards/vgg_test_cleaned/manifest.json')
train_dataloader = dict(
    sampler=dict(shard_window=_base_.shard_window),
    dataset=dict(
        dataset=dict(
            type=_base_.shard_dataset,
            ann_file='shards/vgg_train_cleaned/manifest.json')))
val_dataloader = dict(dataset=eval_shards)
test_dataloader = dict(dataset=eval_shards)
