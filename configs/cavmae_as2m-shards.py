# cavmae_as2m.py read from WebDataset shards (tools/data/pack_shards.py;
# docs/data_preparation.md, "AudioSet-2M on several nodes"): the same
# recipe, only the data source differs. ann_file may also be an http(s)://
# URL of the manifest; remote shards are cached per node.
_base_ = ['./cavmae_as2m.py', '_base_/datasets/shards.py']

train_dataloader = dict(
    sampler=_base_.shard_sampler,
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/audioset_2m_cleaned/manifest.json'))
val_dataloader = dict(
    dataset=dict(
        type=_base_.shard_dataset,
        ann_file='shards/audioset_eval_cleaned/manifest.json'))
