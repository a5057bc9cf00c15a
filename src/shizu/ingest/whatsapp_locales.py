"""The phrases WhatsApp writes into chat exports, per language (data only; ``whatsapp.py`` compiles them).

Field reference: ``docs/export-formats.md`` §4. WhatsApp translates every marker it writes into an
export: media left out, deleted and edited messages, attachments, the end-to-end encryption notice,
calls and group events. Each :class:`Locale` lists them for one language; the importer matches
every language at once (an export does not say its language, and a phone may change it).

**Templates** (``deleted``, ``pending``, ``notices``, ``chat_events``, ``group_events``): the whole text must
match; case is ignored, ``'`` also matches ``’``. ``{name}`` stands for a person, a phone number or
a group name, ``{q}`` for a quoted text (``"…"``, ``“…”``, ``„…“``, ``«…»``), ``{subject}`` for the
quoted new group subject, ``{rest}`` for anything up to the end of the line, ``[a|b]`` for one of
the words (``[a|]``: optional); everything else is literal. Plain phrases (``media_omitted``,
``omitted``, ``edited``, ``file_attached``, ``attached``, ``encrypted``, ``calls``) are compared
ignoring case; ``encrypted`` is how the notice starts, ``calls`` the whole notice (its start when
iOS marked it).

**Sources.** No table comes from WhatsApp itself. Each phrase was checked against public WhatsApp
export parsers, found by searching public source code; the tag after a table says which kind:

* ``[strings]``: a public Dart parser of WhatsApp exports whose phrase lists state that they were
  collected from WhatsApp's iOS ``Localizable.strings`` (v22.24.81) and Android ``strings.xml``
  (per-kind "omitted" markers, Android "<Media omitted>", deleted messages, the end-to-end
  notice, security codes, missed calls, attachment words), and a second Dart parser with the same
  iOS phrases per language.
* ``[parsers]``: the hard-coded keyword lists of other public chat parsers and analysers
  (Python, TypeScript/JavaScript, Go, Rust, PHP), each written against exports in its own
  language: Android placeholders, edited markers, group events.
* ``[sample]``: only seen in the samples of real exports this importer was built from, not in
  any public table (kept because a real export contained it).

Group events are less certain than markers: a template there only turns a line into a notice when
WhatsApp marked it as one (iOS puts U+200E before a notice's text, Android writes no author), so a
wrong or missing template never hides a person's message; at worst a notice stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# iOS "<kind> omitted" kinds, and what each becomes (see whatsapp._omitted).
KINDS = ("image", "video", "audio", "sticker", "gif", "document", "contact")


@dataclass(frozen=True, slots=True)
class Locale:
    code: str  # BCP 47 language
    language: str
    chat_prefixes: tuple[str, ...] = ()  # the .txt / .zip name before the chat's name
    media_omitted: tuple[str, ...] = ()  # Android, exported without media: the whole text
    omitted: dict[str, tuple[str, ...]] = field(default_factory=dict)  # iOS: kind -> text
    deleted: tuple[str, ...] = ()  # templates; a final "." is optional
    edited: tuple[str, ...] = ()  # the "<...>" appended to an edited message, without the brackets
    pending: tuple[str, ...] = ()  # templates: a message the phone could not decrypt yet
    file_attached: tuple[str, ...] = ()  # Android "NAME (file attached)"
    attached: tuple[str, ...] = ()  # iOS "<attached: NAME>"
    encrypted: tuple[str, ...] = ()  # how the end-to-end encryption notice starts
    calls: tuple[str, ...] = ()  # missed calls: the whole text, or its start after iOS's U+200E
    notices: tuple[str, ...] = ()  # templates WhatsApp writes, even after a name without U+200E
    chat_events: tuple[str, ...] = ()  # templates of changes in any chat (timers, numbers, pins)
    group_events: tuple[str, ...] = ()  # templates of group changes (they make the chat a group)


EN = Locale(
    code="en",
    language="English",
    chat_prefixes=("WhatsApp Chat with ", "WhatsApp Chat - "),
    media_omitted=("<Media omitted>", "<Video note omitted>"),  # [strings] [parsers]
    omitted={  # [strings]
        "image": ("image omitted",),
        "video": ("video omitted",),
        "audio": ("audio omitted",),
        "sticker": ("sticker omitted",),
        "gif": ("GIF omitted",),
        "document": ("document omitted",),
        "contact": ("Contact card omitted",),
    },
    deleted=(  # [strings]
        "This message was deleted",
        "You deleted this message",
        "This message was deleted by an admin",
        "This message was deleted by admin {name}",
        "You deleted this message as admin",
    ),
    edited=("This message was edited",),  # [parsers]
    pending=("Waiting for this message{rest}",),
    file_attached=("file attached",),  # [strings]
    attached=("attached",),  # [strings]
    encrypted=(  # [strings]
        "Messages and calls are end-to-end encrypted",
        "Messages to this chat and calls are now secured with end-to-end encryption",
        "Messages you send to this chat and calls are now secured with end-to-end encryption",
        "Messages to this group are now secured with end-to-end encryption",
        "Messages you send to this group are now secured with end-to-end encryption",
    ),
    calls=("Missed voice call", "Missed video call", "Missed group voice call", "Missed group video call"),  # [strings]
    notices=(  # [strings]
        "Your security code with {name} changed{rest}",
        "This chat is with a business account{rest}",
        "Disappearing messages were turned [on|off]{rest}",
    ),
    chat_events=(  # [strings] (the key list of the Dart parser) [parsers]
        "{name} turned [on|off] disappearing messages{rest}",
        "{name}'s security code changed{rest}",
        "{name} updated the message timer{rest}",
        "{name} changed their phone number{rest}",
        "{name} pinned a message",
    ),
    group_events=(  # [strings] [parsers]
        "{name} created group {subject}",
        "{name} created this group",
        "{name} added {name}",
        "{name} removed {name}",
        "{name} left",
        "{name} joined using this group's invite link",
        "{name} changed the subject from {q} to {subject}",
        "{name} changed the subject to {subject}",
        "{name} changed the group name from {q} to {subject}",
        "{name} changed this group's icon",
        "{name} deleted this group's icon",
        "{name} changed the group description{rest}",
        "{name} deleted the group description",
        "{name} changed this group's settings{rest}",
        "{name} turned [on|off] admin approval{rest}",
        "You were added{rest}",
        "You're now an admin",
        "You're no longer an admin",
        "{name} [is|are] now [an admin|admins]",
        "{name} [is|are] no longer [an admin|admins]",
        "Messages [you send |]to this group are now secured with end-to-end encryption{rest}",
    ),
)

DE = Locale(
    code="de",
    language="German",
    chat_prefixes=("WhatsApp Chat mit ", "WhatsApp-Chat mit "),
    media_omitted=("<Medien weggelassen>", "<Medien ausgeschlossen>"),  # [strings] [parsers]
    omitted={  # [strings]
        "image": ("Bild weggelassen",),
        "video": ("Video weggelassen",),
        "audio": ("Audio weggelassen",),
        "sticker": ("Sticker weggelassen",),
        "gif": ("GIF weggelassen",),
        "document": ("Dokument weggelassen",),
        "contact": ("Kontaktkarte ausgelassen", "Kontaktkarte weggelassen"),  # [strings] [parsers]
    },
    deleted=("Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht"),  # [strings]
    edited=("Diese Nachricht wurde bearbeitet",),  # [parsers]
    file_attached=("Datei angehängt",),  # [strings]
    attached=("Anhang",),  # [strings]
    encrypted=(  # [strings] [parsers]
        "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt",
        "Nachrichten an diese Gruppe sind jetzt mit Ende-zu-Ende-Verschlüsselung geschützt",
    ),
    calls=("Verpasster Sprachanruf", "Verpasster Videoanruf"),  # [strings]
    notices=(  # [strings]
        "Deine Sicherheitsnummer für {name} hat sich geändert{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} [hat|hast] selbstlöschende Nachrichten [aktiviert|deaktiviert]{rest}",
        "{name} hat die Telefonnummer gewechselt{rest}",
    ),
    group_events=(  # [parsers]
        "{name} [hat|hast] die Gruppe {subject} erstellt",
        "{name} [hat|hast] diese Gruppe erstellt",
        "{name} [hat|hast] {name} hinzugefügt",
        "{name} [hat|hast] {name} entfernt",
        "{name} [hat|hast] die Gruppe verlassen",
        "{name} [ist|bist] {rest}beigetreten",
        "[{name} hat|Du hast] dich [hinzugefügt|entfernt]",
        "Du wurdest [hinzugefügt|entfernt]{rest}",
        "{name} [hat|hast] den [Betreff|Gruppennamen] von {q} zu {subject} geändert",
        "{name} [hat|hast] den [Betreff|Gruppennamen] zu {subject} geändert",
        "{name} [hat|hast] den Betreff{rest} geändert{rest}",
        "{name} [hat|hast] das Gruppenbild [geändert|gelöscht]",
        "{name} [hat|hast] die Gruppenbeschreibung [geändert|gelöscht]{rest}",
        "{name} [hat|hast] die Gruppeneinstellungen{rest}",
        "{name} [hat|hast] [die Beschreibung|das Bild|das Symbol|die Einstellungen] [der|dieser] Gruppe geändert{rest}",
        "{name} [ist|bist] jetzt [ein |]Admin[istrator|]",
        "{name} [ist|bist] kein Admin[istrator|] mehr",
        "Nachrichten an diese Gruppe sind jetzt mit Ende-zu-Ende-Verschlüsselung geschützt{rest}",
    ),
)

NL = Locale(
    code="nl",
    language="Dutch",
    chat_prefixes=("WhatsApp-chat met ",),
    media_omitted=("<Media weggelaten>",),  # [strings] [parsers]
    omitted={  # [strings]
        "image": ("afbeelding weggelaten",),
        "video": ("video weggelaten",),
        "audio": ("audio weggelaten",),
        "sticker": ("sticker weggelaten",),
        "gif": ("GIF weggelaten",),
        "document": ("document weggelaten",),
        "contact": ("Visitekaartje weggelaten",),
    },
    deleted=(  # [strings] [parsers]
        "Dit bericht is verwijderd",
        "U hebt dit bericht verwijderd",
        "Je hebt dit bericht verwijderd",
    ),
    edited=("Dit bericht is bewerkt",),  # [parsers]
    file_attached=("bestand bijgevoegd",),  # [strings]
    attached=("bijgevoegd",),  # [strings]
    encrypted=(  # [strings] [parsers]
        "Berichten en gesprekken worden end-to-end versleuteld",
        "Berichten en oproepen zijn end-to-end versleuteld",
    ),
    calls=("Gemist spraakgesprek", "Gemist videogesprek", "Gemiste spraakoproep", "Gemiste video-oproep"),  # [strings]
    notices=(  # [strings]
        "[Uw|Je] beveiligingscode [voor|met] {name} is gewijzigd{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} [heeft|hebt] verdwijnende berichten [ingeschakeld|uitgeschakeld]{rest}",
    ),
    group_events=(  # [parsers]
        "{name} [heeft|hebt] de groep {subject} aangemaakt",
        "{name} [heeft|hebt] [deze|de] groep [aangemaakt|gemaakt]",
        "{name} [heeft|hebt] {name} toegevoegd",
        "{name} [heeft|hebt] je toegevoegd",
        "{name} [is|zijn|bent] toegevoegd{rest}",
        "{name} [heeft|hebt] {name} verwijderd",
        "{name} [heeft|hebt] de groep verlaten",
        "{name} is vertrokken",
        "{name} [neemt|heeft] deel{rest}",
        "{name} is [lid geworden|toegetreden] [via|met] de uitnodigingslink{rest}",
        "{name} [heeft|hebt] de [groepsnaam|onderwerp] gewijzigd{rest}",
        "{name} [heeft|hebt] het onderwerp{rest} gewijzigd{rest}",
        "{name} [heeft|hebt] [de beschrijving|de afbeelding|het pictogram|de instellingen] van [de|deze] groep gewijzigd{rest}",
        "{name} [heeft|hebt] [het groepspictogram|de groepsafbeelding|de groepsfoto] [gewijzigd|verwijderd]",
        "{name} [heeft|hebt] de groepsbeschrijving [gewijzigd|verwijderd]{rest}",
        "{name} [heeft|hebt] de groepsinstellingen{rest}",
        "[Je bent|{name} is] nu [een |][beheerder|admin]",
        "[Je bent|{name} is] geen [beheerder|admin] meer",
    ),
)

PT = Locale(
    code="pt",
    language="Portuguese (Brazil and Portugal)",
    chat_prefixes=("Conversa do WhatsApp com ", "Conversa no WhatsApp com ", "Chat do WhatsApp com "),
    media_omitted=(  # [strings] [parsers]
        "<Mídia oculta>",
        "<Mídia omitida>",
        "<Ficheiro não revelado>",
    ),
    omitted={  # [strings] (pt-PT "não revelado"); [parsers] (pt-BR)
        "image": ("imagem ocultada", "imagem não revelada"),
        "video": ("vídeo omitido", "vídeo ocultado", "vídeo não revelado"),
        "audio": ("áudio ocultado", "ficheiro de áudio não revelado"),
        "sticker": ("figurinha omitida", "sticker não revelado"),
        "gif": ("GIF omitido", "GIF não revelada"),
        "document": ("documento omitido", "documento não revelado"),
        "contact": ("Cartão do contato omitido", "Contacto não revelado"),
    },
    deleted=(  # [strings] [parsers]
        "Mensagem apagada",
        "Esta mensagem foi apagada",
        "Você apagou esta mensagem",
        "Apagou esta mensagem",
        "Esta mensagem foi eliminada",
        "Você eliminou esta mensagem",
    ),
    edited=("Mensagem editada",),  # [parsers]
    file_attached=("arquivo anexado", "ficheiro anexado"),  # [strings]
    attached=("anexo", "anexado"),  # [strings]
    encrypted=(  # [strings] [parsers]
        "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta",
        "As mensagens e ligações são protegidas com a criptografia de ponta a ponta",
        "As mensagens e chamadas são encriptadas ponto a ponto",
    ),
    calls=("Chamada de voz perdida", "Chamada de vídeo perdida", "Videochamada perdida"),  # [strings]
    notices=(  # [strings]
        "Seu código de segurança com {name} mudou{rest}",
        "O seu código de segurança partilhado com {name} mudou{rest}",
        "O teu código de segurança com {name} mudou{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} [ativou|desativou] as mensagens temporárias{rest}",
        "{name} fixou uma mensagem",
    ),
    group_events=(  # [parsers]
        "{name} criou o grupo {subject}",
        "{name} criou este grupo",
        "{name} adicionou {name}",
        "{name} removeu {name}",
        "{name} foi [adicionado|adicionada|removido|removida]{rest}",
        "{name} saiu[ do grupo|]",
        "{name} entrou[ no grupo|] usando{rest}",
        "{name} [mudou|alterou] o [assunto|nome do grupo] de {q} para {subject}",
        "{name} [mudou|alterou] o [assunto|nome do grupo] para {subject}",
        "{name} [mudou|alterou|apagou] [a imagem|o ícone] [deste grupo|do grupo]",
        "{name} [mudou|alterou|apagou] a descrição do grupo{rest}",
        "{name} [mudou|alterou] as configurações{rest}",
        "[Agora você é|Você não é mais] [um |]admin[ do grupo|]",
        "{name} [agora é|não é mais] [um |uma |][admin|administrador|administradora]{rest}",
    ),
)

ES = Locale(
    code="es",
    language="Spanish",
    chat_prefixes=("Chat de WhatsApp con ",),
    media_omitted=("<Multimedia omitido>", "<Archivo omitido>"),  # [strings] [parsers]
    omitted={  # [strings]
        "image": ("imagen omitida",),
        "video": ("video omitido",),
        "audio": ("audio omitido",),
        "sticker": ("sticker omitido",),
        "gif": ("GIF omitido",),
        "document": ("documento omitido",),
        "contact": ("Tarjeta de contacto omitida",),
    },
    deleted=(  # [strings]
        "Se eliminó este mensaje",
        "Este mensaje fue eliminado",
        "Eliminaste este mensaje",
        "Un admin., {name}, eliminó este mensaje",  # [sample]
    ),
    edited=("Se editó este mensaje",),  # [parsers]
    pending=("Esperando este mensaje{rest}",),  # [parsers]
    file_attached=("archivo adjunto", "archivo adjuntado"),  # [strings] [parsers]
    attached=("adjunto",),  # [strings]
    encrypted=("Los mensajes y las llamadas están cifrados de extremo a extremo",),  # [strings]
    calls=("Llamada perdida", "Llamada de voz perdida", "Videollamada perdida"),  # [strings]
    notices=(  # [strings] [parsers]
        "Cambió tu código de seguridad con {name}{rest}",
        "Tu código de seguridad con {name} cambió{rest}",
        "El código de seguridad de {name} cambió{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} [activó|desactivó] los mensajes temporales{rest}",
        "[Activaste|Desactivaste] los mensajes temporales{rest}",
        "[{name} fijó|Fijaste] un mensaje",
    ),
    group_events=(  # [parsers]
        "[{name} creó|Creaste] el grupo {subject}",
        "[{name} creó|Creaste] [este|el] grupo",
        "[{name} añadió|{name} agregó|Añadiste|Agregaste] a {name}",
        "{name} te [añadió|agregó]",
        "Se te [añadió|agregó] al grupo",
        "{name} te [eliminó|quitó]",
        "Te uniste mediante el enlace de invitación{rest}",
        "Se [añadió|agregó] a {name}",
        "[{name} eliminó|{name} quitó|Eliminaste|Quitaste] a {name}",
        "[{name} salió|Saliste][ del grupo|]",
        "{name} se unió[ al grupo|] usando el enlace de invitación{rest}",
        "[{name} cambió|Cambiaste] el asunto de {q} a {subject}",
        "[{name} cambió|Cambiaste] el asunto a {subject}",
        "[{name} cambió|Cambiaste] el nombre del grupo de {q} a {subject}",
        "[{name} cambió|{name} eliminó|Cambiaste|Eliminaste] [el ícono|el icono|la foto|la imagen|la descripción|los ajustes|la configuración] [de este|del] grupo{rest}",
        "[Ahora eres|Ya no eres] admin. del grupo",
        "{name} [ahora es|ya no es] [un |una |]admin[istrador|istradora|.|]{rest}",
    ),
)

FR = Locale(
    code="fr",
    language="French",
    chat_prefixes=("Discussion WhatsApp avec ",),
    media_omitted=("<Médias omis>", "<Fichier omis>"),  # [strings] [parsers]
    omitted={  # [strings] [parsers]
        "image": ("image absente",),
        "video": ("vidéo absente",),
        "audio": ("audio omis",),
        "sticker": ("sticker omis",),
        "gif": ("GIF retiré",),
        "document": ("document manquant", "document omis"),
        "contact": ("Fiche contact manquante",),
    },
    deleted=("Ce message a été supprimé", "Vous avez supprimé ce message"),  # [strings]
    edited=("Ce message a été modifié",),  # [parsers]
    file_attached=("fichier joint",),  # [strings]
    attached=("pièce jointe",),  # [strings]
    encrypted=("Les messages et les appels sont chiffrés de bout en bout",),  # [strings]
    calls=("Appel vocal manqué", "Appel vidéo manqué"),  # [strings]
    notices=(  # [strings] [parsers]
        "[Votre|Ton] code de sécurité avec {name} a changé{rest}",
        "Le code de sécurité de {name} a changé{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} [a|avez] [activé|désactivé] les messages éphémères{rest}",
    ),
    group_events=(  # [parsers]
        "{name} [a|avez] créé le groupe {subject}",
        "{name} [a|avez] créé ce groupe",
        "{name} [a|avez] ajouté {name}",
        "{name} vous a ajouté{rest}",
        "{name} [a|avez] retiré {name}",
        "{name} [a|avez] quitté{rest}",
        "{name} est parti{rest}",
        "{name} a rejoint[ le groupe|] [en utilisant|via] le lien d'invitation{rest}",
        "{name} [a|avez] [modifié|changé] le sujet{rest}",
        "{name} [a|avez] remplacé le nom du groupe{rest}",
        "{name} [a|avez] [modifié|changé|supprimé] l'icône de ce groupe",
        "{name} [a|avez] [modifié|changé|supprimé] la photo du groupe",
        "{name} [a|avez] [modifié|changé|supprimé] la description du groupe{rest}",
        "{name} [a|avez] [modifié|changé] les paramètres de ce groupe{rest}",
        "Vous êtes désormais admin{rest}",
        "Vous n'êtes plus admin{rest}",
        "{name} [est|n'est plus] [admin|administrateur]{rest}",
    ),
)

IT = Locale(
    code="it",
    language="Italian",
    chat_prefixes=("Chat WhatsApp con ", "Chat di WhatsApp con "),
    media_omitted=("<Media omessi>", "<Media omesso>"),  # [parsers] [strings]
    omitted={  # [strings] [parsers]
        "image": ("immagine omessa",),
        "video": ("video omesso",),
        "audio": ("audio omesso",),
        "sticker": ("sticker non incluso", "sticker omesso"),
        "gif": ("GIF esclusa", "GIF omessa"),
        "document": ("documento omesso",),
        "contact": ("Scheda contatto omessa",),
    },
    deleted=("Questo messaggio è stato eliminato", "Hai eliminato questo messaggio"),  # [strings]
    edited=("Questo messaggio è stato modificato",),  # [parsers]
    file_attached=("file allegato",),  # [strings]
    attached=("allegato",),  # [strings]
    encrypted=("I messaggi e le chiamate sono crittografati end-to-end",),  # [strings]
    calls=("Chiamata vocale persa", "Videochiamata persa"),  # [strings]
    notices=(  # [strings]
        "Il tuo codice di sicurezza con {name} è cambiato{rest}",
    ),
    chat_events=(  # [parsers]
        "[{name} ha|Hai] [attivato|disattivato] i messaggi effimeri{rest}",
        "{name} ha cambiato numero{rest}",
    ),
    group_events=(  # [parsers]
        "[{name} ha|Hai] creato il gruppo {subject}",
        "[{name} ha|Hai] creato [questo|il] gruppo",
        "[{name} ha|Hai] aggiunto {name}",
        "{name} ti ha aggiunto",
        "[{name} è|Sei] stat[o|a] [aggiunto|aggiunta|rimosso|rimossa]{rest}",
        "[{name} ha|Hai] rimosso {name}",
        "{name} è uscit[o|a]",
        "[{name} ha|Hai] [abbandonato|lasciato][ il gruppo|]",
        "{name} [si è unito|si è unita|è entrato|è entrata] [tramite|usando|con] il link{rest}",
        "[{name} ha|Hai] [cambiato|modificato] l'oggetto da {q} a {subject}",
        "[{name} ha|Hai] [cambiato|modificato] l'oggetto in {subject}",
        "[{name} ha|Hai] [cambiato|modificato|eliminato] [l'immagine|l'icona|la descrizione|le impostazioni] [del|di questo] gruppo{rest}",
        "{name} [è ora|non è più] [un |]amministratore",
        "[Ora sei|Non sei più] un amministratore",
    ),
)

RU = Locale(
    code="ru",
    language="Russian",
    chat_prefixes=("Чат WhatsApp с ",),
    media_omitted=("<Без медиафайлов>", "<Файл пропущен>"),  # [strings]
    omitted={  # [strings]
        "image": ("изображение отсутствует",),
        "video": ("видео отсутствует",),
        "audio": ("аудиофайл отсутствует", "аудио отсутствует"),
        "sticker": ("стикер не добавлен",),
        "gif": ("GIF отсутствует",),
        "document": ("документ отсутствует",),
        "contact": ("Карточка контакта отсутствует",),
    },
    deleted=(  # [strings]
        "Данное сообщение удалено",
        "Вы удалили данное сообщение",
        "Вы удалили это сообщение",
        "Сообщение удалено",  # [sample]
    ),
    edited=("Сообщение изменено",),  # [parsers]
    file_attached=("файл добавлен",),  # [strings]
    attached=("прикреплено",),  # [strings] [parsers]
    encrypted=("Сообщения и звонки защищены сквозным шифрованием",),  # [strings]
    calls=("Пропущенный аудиозвонок", "Пропущенный видеозвонок"),  # [strings]
    notices=(  # [strings]
        "Ваш код безопасности с контактом {name} изменился{rest}",
    ),
    chat_events=(  # [parsers]
        "[{name} включил(-а)|{name} отключил(-а)|Вы включили|Вы отключили] исчезающие сообщения{rest}",
        "{name} закрепил(-а) сообщение",
    ),
    group_events=(  # [parsers]
        "[{name} создал(-а)|Вы создали] группу {subject}",
        "[{name} создал(-а)|Вы создали] эту группу",
        "[{name} добавил(-а)|Вы добавили] {name}",
        "[{name} удалил(-а)|Вы удалили] {name}",
        "[{name} вышел(-ла)|{name} вышел(-а)|Вы вышли][ из группы|]",
        "{name} [присоединился(-ась)|присоединился|присоединилась] {rest}",
        "[{name} изменил(-а)|Вы изменили] тему с {q} на {subject}",
        "[{name} изменил(-а)|{name} удалил(-а)|Вы изменили|Вы удалили] [картинку|изображение|название|описание|настройки] группы{rest}",
        "[Теперь вы|Вы больше не] админ[ группы|]",
    ),
)

TR = Locale(
    code="tr",
    language="Turkish",
    media_omitted=("<Medya dahil edilmedi>", "<Medya atlanmış>"),  # [parsers] [strings]
    omitted={  # [strings]
        "image": ("görüntü dahil edilmedi",),
        "video": ("video dahil edilmedi",),
        "audio": ("ses dahil edilmedi",),
        "sticker": ("Çıkartma dahil edilmedi",),
        "gif": ("GIF dahil edilmedi",),
        "document": ("belge dahil edilmedi",),
        "contact": ("Kişi kartı dahil edilmedi",),
    },
    deleted=("Bu mesaj silindi", "Bu mesajı sildiniz"),  # [strings]
    edited=("Bu mesaj düzenlendi",),  # [parsers]
    file_attached=("dosya ekli",),  # [strings]
    attached=("eklendi",),  # [strings]
    encrypted=("Mesajlar ve aramalar uçtan uca şifrelidir",),  # [strings]
    calls=("Cevapsız sesli arama", "Cevapsız görüntülü arama"),  # [strings]
    notices=(  # [strings]
        "{name} ile aranızdaki güvenlik kodu değişti{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} süreli mesajları{rest}",
        "{name} bir mesajı sabitledi",
    ),
    group_events=(  # [parsers]
        "{name} {subject} grubunu oluşturdu",
        "{name} bu grubu oluşturdu",
        "{name} {subject} grubunu oluşturdunuz",
        "{name} {name} kişisini ekledi",
        "{name} sizi ekledi",
        "{name} gruba eklendi",
        "{name} {name} kişisini çıkardı",
        "{name} ayrıldı",
        "{name} bu grubun davet bağlantısıyla katıldı",
        "{name} davet bağlantısıyla katıldı",
        "{name} {q} olan grup adını {subject} olarak değiştirdi",
        "{name} grup adını {subject} olarak değiştirdi",
        "{name} grubun simgesini [değiştirdi|sildi]",
        "{name} grup açıklamasını [değiştirdi|sildi]{rest}",
        "{name} bu grubun ayarlarını{rest}",
        "Artık yöneticisiniz",
        "Artık yönetici değilsiniz",
    ),
)

ID = Locale(
    code="id",
    language="Indonesian",
    chat_prefixes=("Chat WhatsApp dengan ",),
    media_omitted=("<Media tidak disertakan>",),  # [strings]
    omitted={  # [strings]
        "image": ("gambar tidak disertakan",),
        "video": ("video tidak disertakan",),
        "audio": ("audio tidak disertakan",),
        "sticker": ("stiker tidak disertakan",),
        "gif": ("GIF tidak disertakan",),
        "document": ("dokumen tidak disertakan",),
        "contact": ("Kartu kontak tidak disertakan",),
    },
    deleted=(  # [strings]
        "Pesan ini dihapus",
        "Pesan ini telah dihapus",
        "Anda menghapus pesan ini",
        "Anda telah menghapus pesan ini",
    ),
    edited=("Pesan ini diedit",),  # [parsers]
    file_attached=("file terlampir",),  # [strings] [parsers]
    attached=("terlampir",),  # [strings] [parsers]
    encrypted=("Pesan dan panggilan terenkripsi secara end-to-end",),  # [strings]
    calls=("Panggilan suara tak terjawab", "Panggilan video tak terjawab"),  # [strings]
    notices=(  # [strings]
        "Kode keamanan Anda dengan {name} telah berubah{rest}",
    ),
    chat_events=(  # [parsers]
        "{name} telah mengganti nomor teleponnya{rest}",
        "{name} [mengaktifkan|menonaktifkan] pesan sementara{rest}",
    ),
    group_events=(  # [parsers]
        "{name} membuat grup {subject}",
        "{name} membuat grup ini",
        "{name} [telah |]menambahkan {name}",
        "{name} [telah |]mengeluarkan {name}",
        "{name} keluar",
        "{name} [telah |]bergabung menggunakan tautan undangan grup ini",
        "{name} [telah |]mengubah subjek dari {q} menjadi {subject}",
        "{name} [telah |]mengubah subjek menjadi {subject}",
        "{name} [telah |][mengubah|menghapus] ikon grup ini",
        "{name} [telah |][mengubah|menghapus] deskripsi grup{rest}",
        "{name} [telah |]mengubah setelan grup ini{rest}",
        "Anda sekarang admin",
        "Anda bukan admin lagi",
    ),
)

LOCALES: tuple[Locale, ...] = (EN, DE, NL, PT, ES, FR, IT, RU, TR, ID)

# Android's "<Media omitted>" in the languages no Locale above covers yet (the same [strings]
# table and older parsers), so that media stay media whatever the phone's language.
OTHER_MEDIA_OMITTED = (
    "<media weggelaat>", "<تم استبعاد الوسائط>", "<media buraxıldı>", "<Media çıxarılmışdır>", "<Без файл>",
    "<fitxers multimèdia omesos>", "<Mitjans omesos>", "<média vynechány>", "<Média vynechána>", "<medier udeladt>",
    "<Mediefil udeladt>", "<αρχείο παραλήφθηκε>", "<Εξαίρεση πολυμέσων>", "<meedia välja jäetud>",
    "<Meedia ära jäetud>", "<رسانه حذف شد>", "<media jätettiin pois>", "<Media jätetty pois>", "<मीडिया के बिना>",
    "<medijski zapis izostavljen>", "<média elhagyva>", "<Hiányzó médiafájl>", "<המדיה לא נכללה>", "<מדיה הושמטה>",
    "<メディアなし>", "<メディアは含まれていません>", "<미디어 파일 제외됨>", "<미디어 파일을 생략한 대화내용>",
    "<medija praleista>", "<nav iekļauta multivide>", "<Bez multivides>", "<media dikecualikan>", "<media utelatt>",
    "<Uten vedlegg>", "<pominięto multimedia>", "<pliki pominięto>", "<conținut media omis>", "<Médiá vynechané>",
    "<datoteke izpuščene>", "<media utelämnat>", "<Media har utelämnats>", "<ไฟล์สื่อถูกลบ>", "<медіа пропущено>",
    "<Медіа пропущено>", "<bỏ qua tệp phương tiện>", "<Bỏ qua Media>", "<忽略多媒體檔>", "<省略多媒体文件>",
)
