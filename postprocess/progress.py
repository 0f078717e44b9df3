"""The post-process's progress bar (tqdm), on standard error when it is a terminal."""

from __future__ import annotations

from tqdm import tqdm


class RunProgress(tqdm):
    """The run's progress bar, from the first byte read to the outputs published: the
    map step moves it through :data:`MAP_SHARE` of its length by the bytes read, each
    partition merged and each output written move it on, and it reaches 100 % when
    the outputs are in place (a bar by bytes alone sat at 100 % for the last third of
    a run). No monitor thread (tqdm's default, for bars that stall): the bar is told
    every 0.2 s, and the pool's workers must be forked without a thread running."""

    monitor_interval = 0
    #: The map step's part of a run, and the reduce step's (the rest is the writing).
    MAP_SHARE, REDUCE_SHARE = 0.65, 0.2

    def __init__(self, input_bytes: int, show: bool) -> None:
        self.input_bytes = max(input_bytes, 1)
        self.step = "reading"
        self.lines = 0
        super().__init__(
            total=round(self.input_bytes / self.MAP_SHARE),
            desc="post-process: ",
            disable=not show,
            bar_format="{desc}{percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}",
        )

    def counted(self, *, lines: int, kept: int | None = None) -> None:
        """Lines read so far, and films kept once the reduce step has them."""
        self.lines = lines
        shown = {"lines": f"{lines:,}"} | ({"kept": f"{kept:,}"} if kept is not None else {})
        self.set_postfix(shown, refresh=False)

    def read(self, size: int) -> None:
        """``size`` more bytes of the input read (the map step, in this process)."""
        self.update(round(size * self.MAP_SHARE * self.total / self.input_bytes))

    def read_so_far(self, size: int) -> None:
        """The map step has read ``size`` bytes in all (the pool's workers)."""
        self.update(max(round(size * self.MAP_SHARE * self.total / self.input_bytes) - self.n, 0))

    def reach(self, share: float, step: str) -> None:
        """The run is ``share`` done, now at ``step`` (a new step is drawn at once)."""
        new_step, self.step = step != self.step, step
        self.set_description(f"post-process ({step})", refresh=False)
        self.update(max(round(share * self.total) - self.n, 0))
        if new_step and not self.disable:
            self.refresh()
