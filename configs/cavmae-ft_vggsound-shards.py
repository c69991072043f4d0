# cavmae-ft_vggsound.py read from WebDataset shards
# (tools/data/pack_shards.py; docs/data_preparation.md): the same recipe and
# balanced sampling, only the data source differs.
_base_ = ['./cavmae-ft_vggsound.py']

eval_shards = 'shards/vgg_test_cleaned/manifest.json'
train_dataloader = dict(
    sampler=dict(shard_window=8),
    dataset=dict(
        dataset=dict(
            type='ShardedAudioVisualDataset',
            ann_file='shards/vgg_train_cleaned/manifest.json')))
val_dataloader = dict(
    dataset=dict(type='ShardedAudioVisualDataset', ann_file=eval_shards))
test_dataloader = dict(
    dataset=dict(type='ShardedAudioVisualDataset', ann_file=eval_shards))
