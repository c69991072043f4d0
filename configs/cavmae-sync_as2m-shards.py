# CAV-MAE Sync pretraining on AudioSet-2M (cavmae-sync_as2m.py) from
# WebDataset shards (tools/data/pack_shards.py of a datalist whose clips
# have their 16 frames extracted): only the data source changes.
_base_ = ['./cavmae-sync_as2m.py', '_base_/datasets/shards.py']

train_dataloader = dict(
    sampler=_base_.shard_sampler,
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/audioset_2m_cleaned/manifest.json'))
val_dataloader = dict(
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/audioset_eval_cleaned/manifest.json'))
