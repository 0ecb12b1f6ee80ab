"""Find tasks by the words of their titles ("vtvl" → 3.3), for typed reports and hints."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from knowledge.model import Task
from knowledge.query import expand, stop_mask
from knowledge.text import fold, normalize, plain


def content_terms(text: str) -> set[str]:
    """Return the folded content words of text and their neighbouring pairs.

    Abbreviations and chat shorthand are written out first (vtvl → vị trí việc làm);
    filler words and numbers are left out, judged without marks on both sides, so a title
    and the same words typed without marks give the same terms.
    """
    words = [fold(w) for w in expand(normalize(plain(text)), chat=True)]
    stop = stop_mask(words)  # on folded words, titles and typed text alike
    kept = [w for w, s in zip(words, stop, strict=True) if not s and w.isalpha()]
    return set(kept) | {f"{a} {b}" for a, b in pairwise(kept)}


class TaskMatcher:
    """The tasks' titles (and deadline targets) as bags of terms, weighted by rarity."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = list(tasks)
        self.terms = {
            t.code: content_terms(" ".join([t.title, *(d.target for d in t.deadlines)]))
            for t in self.tasks
        }
        df = Counter(term for terms in self.terms.values() for term in terms)
        n = len(self.tasks)
        self.idf = {term: math.log(1 + n / count) for term, count in df.items()}
        self.unseen = math.log(1 + n)  # a word no title has weighs the most

    def match(self, text: str) -> list[tuple[str, float]]:
        """Return (code, share of the text's words its title holds), best first, share > 0.

        Among equal shares a sub-task comes before its parent (it is what gets reported).
        """
        wanted = content_terms(text)
        total = sum(self.idf.get(term, self.unseen) for term in wanted)
        if not total:
            return []
        scored = []
        for task in self.tasks:
            held = sum(self.idf[term] for term in wanted & self.terms[task.code])
            if held:
                scored.append((task.code, round(held / total, 4), task.code.count(".")))
        scored.sort(key=lambda s: (-s[1], -s[2]))
        return [(code, share) for code, share, _ in scored]
