# Reading a recipe's data from WebDataset shards (tools/data/pack_shards.py;
# docs/data_preparation.md): the dataset type and the samplers' window of
# shards read together, for the -shards recipes, which add this base to
# their file recipe and set each dataset's ann_file (a shards folder's
# manifest.json under data_root, or an http(s) URL).
shard_dataset = 'ShardedAudioVisualDataset'
shard_window = 8
# every clip once per epoch (pretraining, unbalanced finetuning)
shard_sampler = dict(type='ShardAwareSampler', window=shard_window)
