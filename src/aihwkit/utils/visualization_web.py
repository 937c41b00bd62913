"""Dark-styled device plots for web pages (needs matplotlib)."""

from pathlib import Path
from typing import Any, Optional

from aihwkit.utils.plotting_backend import pyplot
from aihwkit.utils.visualization import plot_device_compact

BACKGROUND = "#161616"
FOREGROUND = "#f4f4f4"


def set_dark_style(axes: Any) -> None:
    """Light text, ticks and spines on a dark background for ``axes``."""
    axes.set_facecolor(BACKGROUND)
    for spine in axes.spines.values():
        spine.set_color(FOREGROUND)
    axes.tick_params(colors=FOREGROUND, which="both")
    axes.xaxis.label.set_color(FOREGROUND)
    axes.yaxis.label.set_color(FOREGROUND)
    axes.title.set_color(FOREGROUND)


def plot_device_compact_web(device: Any, w_noise: float = 0.0,
                            n_steps: Optional[int] = None, n_traces: int = 3) -> Any:
    """:func:`plot_device_compact` of ``device`` with the dark style on every axes.

    Returns:
        the matplotlib ``Figure``.
    """
    plt = pyplot()
    plot_device_compact(device, w_noise=w_noise, n_steps=n_steps, n_traces=n_traces)
    figure = plt.gcf()
    figure.set_facecolor(BACKGROUND)
    for axes in figure.axes:
        set_dark_style(axes)
    return figure


def save_plots_for_web(path: Path = Path("/tmp"), file_format: str = "svg") -> list:
    """Write the dark compact plot of every device preset to ``path``.

    Returns:
        the written file paths.
    """
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator import presets
    plt = pyplot()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(vars(presets)):
        if not name.endswith("PresetDevice"):
            continue
        figure = plot_device_compact_web(getattr(presets, name)(), n_steps=200)
        target = path / f"{name}.{file_format}"
        figure.savefig(target, format=file_format, facecolor=figure.get_facecolor())
        plt.close(figure)
        written.append(target)
    return written
