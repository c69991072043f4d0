# cavmae_vggsound.py (pretraining on VGGSound) read from WebDataset shards
# (tools/data/pack_shards.py; docs/data_preparation.md): the same recipe,
# only the data source differs.
_base_ = ['./cavmae_vggsound.py', '_base_/datasets/shards.py']

train_dataloader = dict(
    sampler=_base_.shard_sampler,
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/vgg_train_cleaned/manifest.json'))
val_dataloader = dict(
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/vgg_test_cleaned/manifest.json'))
