"""The bounds a loader checks a model's declared sizes against before it reads or
allocates anything. They are generous for real models and exist so that a small hostile
file cannot make the loader read, allocate or compute without end. docs/loading.md
states them; the loaders read them at call time, so a test (or a user with a bigger
model) may change them on this module."""

# model.json, optimizer.json and treino.json: TF.js's topologies are a few KB to a few
# MB; tens of MB allow very large hand-written configs.
MAX_JSON_BYTES = 64 * 1024 * 1024
# Nesting of any JSON document (a real model.json nests about ten levels deep).
MAX_JSON_DEPTH = 100

# The model's weights (the manifest's entries outside the 'optimizer' group): 4 GiB is a
# billion float32 values.
MAX_WEIGHT_BYTES = 4 * 1024 ** 3
# The optimizer's state holds at most three slots per weight (centred RMSProp) plus the
# step count, so its bytes may not exceed this many times the weights' bytes (+ 'iter').
MAX_OPTIMIZER_SLOTS = 3

# With strict=False a loader initialises the weights the file lacks with their layer's
# initializer; this many values at most (64 MiB of float32). A strict load never
# initialises: a topology needing more values than the file holds is refused before any
# weight is created.
MAX_UNBACKED_PARAMS = 16 * 1024 ** 2

MAX_LAYERS = 10_000           # layers in one model, the layers of nested models included
# Models nested in models (a layer whose config is a Sequential or functional model):
# real ones nest a few levels; reading and building recurse once per level.
MAX_MODEL_DEPTH = 16
# Inbound nodes (layer applications) of a functional topology, nested models' included,
# and separately the input references they list: the rebuild's work grows with them.
MAX_NODES = 100_000
MAX_WEIGHT_ENTRIES = 100_000  # entries over all weight manifests of one model
MAX_SHARDS = 10_000           # shard files over all manifest groups
MAX_RANK = 32                 # dimensions of a weight's or a config's shape
MAX_DIM = 2 ** 31 - 1         # one dimension (TF.js sizes are int32)

# A .treino zip's central directory (its list of members): a real one is well under a
# KB; parsing a huge one would allocate per member before any size can be checked.
MAX_ZIP_DIRECTORY_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
# A member may inflate to at most this many times its compressed size, plus 1 MiB:
# float weights barely compress (treino stores its shards uncompressed), so a small
# file declaring gigabytes of weights is a decompression bomb, not a model.
MAX_COMPRESSION_RATIO = 100
