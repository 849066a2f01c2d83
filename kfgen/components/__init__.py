"""kfgen prototypes: one module per prototype, each exporting PROTOTYPE (see kfgen.prototype)."""
