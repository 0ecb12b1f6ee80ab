"""The directive knowledge base: parsing, Vietnamese text, search and answers.

Pure Python: reads document files, never touches the network, a database or a
chat platform.
"""

from knowledge.answer import Answer, Source
from knowledge.library import Library, load_library
from knowledge.model import Deadline, Document, Footnote, Passage, Task

__all__ = [
    "Answer",
    "Deadline",
    "Document",
    "Footnote",
    "Library",
    "Passage",
    "Source",
    "Task",
    "load_library",
]
