# cavmae-ft_as20k.py read from WebDataset shards (tools/data/pack_shards.py;
# docs/data_preparation.md): the same recipe (every clip once per epoch,
# read window by window of shards), only the data source differs.
_base_ = ['./cavmae-ft_as20k.py']

eval_shards = 'shards/audioset_eval_cleaned/manifest.json'
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ShardAwareSampler', window=8),
    dataset=dict(
        dataset=dict(
            type='ShardedAudioVisualDataset',
            ann_file='shards/audioset_20k_cleaned/manifest.json')))
val_dataloader = dict(
    dataset=dict(type='ShardedAudioVisualDataset', ann_file=eval_shards))
test_dataloader = dict(
    dataset=dict(type='ShardedAudioVisualDataset', ann_file=eval_shards))
