"""The chat language every stage speaks, importing no stage.

* :mod:`~shizu.chat.layout`: a conversation as chat messages (turns, place, situation, the system
  prompt, bursts), the one renderer used by ``shizu build`` and the live runtime alike;
* :mod:`~shizu.chat.template`: the model's chat template (prompt rendering, end of turn, the
  persona-only training mask);
* :mod:`~shizu.chat.media`: media in messages and their tags (``[gif: cat vibing]``);
* :mod:`~shizu.chat.discord_markup`: Discord's timestamps, snowflakes and raw markup.
"""
