# cavmae_vggsound.py (pretraining on VGGSound) read from WebDataset shards
# (tools/data/pack_shards.py; docs/data_preparation.md): the same recipe,
# only the data source differs.
_base_ = ['./cavmae_vggsound.py']

train_dataloader = dict(
    sampler=dict(type='ShardAwareSampler', window=8),
    dataset=dict(
        type='ShardedAudioVisualDataset',
        ann_file='shards/vgg_train_cleaned/manifest.json'))
val_dataloader = dict(
    dataset=dict(
        type='ShardedAudioVisualDataset',
        ann_file='shards/vgg_test_cleaned/manifest.json'))
