"""``python -m receiver``: run the HJ 212 receiver (settings: :mod:`receiver.config`)."""

from receiver.app import main

raise SystemExit(main())
