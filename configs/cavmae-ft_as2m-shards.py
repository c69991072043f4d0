# cavmae-ft_as2m.py read from WebDataset shards (tools/data/pack_shards.py;
# docs/data_preparation.md): the same recipe and balanced sampling (the
# official per-datum weights; the draws are ordered window by window of
# shards), only the data source differs.
_base_ = ['./cavmae-ft_as2m.py', '_base_/datasets/shards.py']

eval_shards = dict(
    type=_base_.shard_dataset,
    ann_file='shards/audioset_eval_cleaned/manifest.json')
train_dataloader = dict(
    sampler=dict(shard_window=_base_.shard_window),
    dataset=dict(
        dataset=dict(
            type=_base_.shard_dataset,
            ann_file='shards/audioset_2m_cleaned/manifest.json')))
val_dataloader = dict(dataset=eval_shards)
test_dataloader = dict(dataset=eval_shards)
