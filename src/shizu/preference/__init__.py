"""Preference tuning (``shizu train --preference``): what makes a reply sound like the person.

Supervised training teaches the model to put probability on the person's replies; this stage
teaches it to prefer them over what it writes itself. For training contexts the parent run
answers through the persona runtime (:mod:`.selfplay`), and each of its replies becomes the loser
of a pair whose winner is the person's real reply (:mod:`.pairs`; SPIN, Chen et al. 2024). The
history weighs the winners (:mod:`.signals`: the reactions a reply drew) and keeps out what must
not count (people who opted out, replies the guards cut are always losers). :mod:`.stage` runs the
rounds; :mod:`shizu.train.dpo` trains each one. docs/training.md, "Preference tuning", explains
when it helps and what it costs.
"""
