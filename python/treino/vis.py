"""tn.vis: plots of training (matplotlib, an optional extra: pip install treino[vis])."""


def plot_history(history, path, metrics=None, title=None):
    """Saves a PNG of the History's curves (loss and each metric, with its val_ twin on
    the same axes) to `path`; returns the path. Raises ImportError with the install hint
    when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib "
                          "(or pip install 'treino[vis]')") from None
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        raise ValueError("plot_history: argument 'history' must be a History (or its "
                         "history dict) with at least one series")
    names = metrics or [k for k in hist if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        if name not in hist:
            raise ValueError(f"plot_history: no series {name!r} in the history; it has "
                             f"{sorted(hist)}")
        epochs = range(1, len(hist[name]) + 1)
        ax.plot(epochs, hist[name], label=name)
        if "val_" + name in hist:
            ax.plot(range(1, len(hist["val_" + name]) + 1), hist["val_" + name], label="val_" + name)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
