"""The E2B(R3) batch written directly as XML text (no element tree).

``write_batch`` produces exactly the bytes that ``etree.tostring`` gives for the tree the
element builder (``schemas.e2b_r3.legacy``) makes: same element and attribute order, same
escaping, same empty-element forms; ``tests/unit/e2b_r3/test_e2b_r3_writer.py`` checks
byte identity. Rules that keep it so:

* attribute values escape ``& < > "`` and write TAB / LF / CR as ``&#9; &#10; &#13;``;
  text escapes ``& < >`` and CR as ``&#13;`` (what libxml2 writes);
* text and attribute values with characters XML forbids raise the errors lxml raises
  (``ValueError``, or ``UnicodeEncodeError`` for lone surrogates) before anything is written;
* an element without content is written ``<x/>``; one whose text was set to ``""`` is
  ``<x></x>`` (lxml keeps the empty text node). ``EMPTY`` marks such text in the string
  until the caller decides (``to_bytes`` drops it, ``build_batch`` restores ``.text = ""``);
* regional fragments (``RegionalExtension.xml``) are written the way lxml writes them
  when they sit in the batch tree (redundant namespace declarations dropped),
  and placed by the same rule as ``xml.Placer``: each direct child of an anchor container
  is one string in a list, so the index / position rules apply unchanged.

This module is the writer's public face; the text is built by one module per part:
``write_batch`` (N), ``write_report`` (C, H.1, H.5), ``write_study`` (C.5),
``write_assessment`` (G.k.1 roles, G.k.9.i.2.r, H.2-H.4), ``write_primary_role`` (the D/E/F/G
container), ``write_patient`` (D), ``write_reaction`` (E), ``write_lab_tests`` (F),
``write_drug`` (G), over ``write_datatypes`` (HL7 datatypes), ``write_escape`` (escaping)
and ``write_regional`` (regional extensions).
"""

from schemas.e2b_r3.write_batch import write_batch
from schemas.e2b_r3.write_escape import EMPTY, XML_DECLARATION, attr, tail, text
from schemas.e2b_r3.write_regional import Placer

__all__ = ["EMPTY", "XML_DECLARATION", "Placer", "attr", "tail", "text", "write_batch"]
