"""WhatsApp exports in each supported language: one test per locale, iOS and Android.

Every locale writes the same chat twice, with the phrases its exports contain
(``shizu.ingest.whatsapp_locales``): an iOS group export (``_chat.txt`` in ``WhatsApp Chat - <group>``,
every notice under a name and starting with U+200E) and an Android export (``chat.txt``, notices
without an author, the group named only by its subject). Both must give exactly the same kinds,
flags and authors in every language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shizu.ingest.base import FileReport
from shizu.ingest.source import Source
from shizu.ingest.whatsapp import WhatsAppImporter
from shizu.ingest.whatsapp_locales import LOCALES
from shizu.message import Message

M = "\u200e"  # LEFT-TO-RIGHT MARK
PHOTO = "00000030-PHOTO-2024-03-02-10-30-00.jpg"
IMG = "IMG-20240302-WA0001.jpg"

# (author, phrase, what it must become); "group" is the group's name, "" no author (Android).
# The iOS roles: every notice is written under a name, media lines start with U+200E too.
IOS = [
    ("group", "encrypted", "notice"),
    ("group", "created", "notice"),
    ("group", "added", "notice"),
    ("~ Lucas", "joined", "notice"),
    ("group", "subject", "notice"),
    ("group", "icon", "notice"),
    ("group", "description", "notice"),
    ("group", "security", "notice"),
    ("group", "disappearing", "notice"),
    ("group", "admin", "notice"),
    ("Mika", "text", "text"),
    ("~ Lucas", "text2", "text"),
    ("Jonas", "image", "image"),
    ("Jonas", "video", "video"),
    ("Jonas", "audio", "audio"),
    ("Jonas", "sticker", "sticker"),
    ("Jonas", "gif", "gif"),
    ("Jonas", "document", "document"),
    ("Jonas", "contact", "contact"),
    ("Jonas", "deleted", "deleted"),
    ("Mika", "you_deleted", "deleted"),
    ("Mika", "edited", "edited"),
    ("Jonas", "attached", "file"),
    ("Mika", "left", "text"),  # the "left" phrase typed by a person: no U+200E, a message
    ("Jonas", "left", "notice"),
    ("Mika", "missed", "notice"),
]
MARKED = {"encrypted", "created", "added", "joined", "subject", "icon", "description", "security", "disappearing",
          "admin", "image", "video", "audio", "sticker", "gif", "document", "contact", "deleted", "you_deleted",
          "attached", "left", "missed"}
MEDIA_LINE = {"image", "video", "audio", "sticker", "gif", "document", "contact", "deleted", "you_deleted", "attached"}
ANDROID = [
    ("", "encrypted", "notice"),
    ("", "created", "notice"),
    ("", "added", "notice"),
    ("Jonas", "media", "media"),
    ("Jonas", "deleted", "deleted"),
    ("Mika", "edited", "edited"),
    ("Mika", "file", "file"),
    ("", "left", "notice"),
    ("", "missed", "notice"),
]


@dataclass
class Sample:
    code: str
    group: str
    ios: dict[str, str]
    android: dict[str, str]
    extra: list[tuple[str, str, str]] = field(default_factory=list)  # more iOS lines: (author, text, result)


def kind_of(m: Message) -> str:
    if m.is_system:
        return "notice"
    if m.kind in ("message", "edited", "deleted", "pending"):
        return {"message": "text"}.get(m.kind, m.kind)
    if m.stickers:
        return "sticker"
    if m.embeds:
        return "gif"
    (attachment,) = m.attachments
    named = {"image.jpg": "image", "video.mp4": "video", "audio.opus": "audio", "contact.vcf": "contact",
             "media": "media", "document": "document"}
    return named.get(attachment.filename) or ("document" if attachment.filename.endswith(".pdf") else "file")


def read(path: Path) -> list[Message]:
    source = Source(path)
    return list(WhatsAppImporter().read(source, FileReport(source=source)))


def check(tmp_path: Path, sample: Sample) -> None:
    # iOS: [02/03/2024, 10:MM:00] Name: ‎text
    folder = tmp_path / f"WhatsApp Chat - {sample.group}"
    folder.mkdir()
    lines, expected = [], []
    rows = [(who, sample.ios[role], result, role) for who, role, result in IOS]
    rows += [(who, text, result, "extra") for who, text, result in sample.extra]
    for minute, (who, text, result, role) in enumerate(rows):
        name = sample.group if who == "group" else who
        marked = role in MARKED and not (role == "left" and who == "Mika")
        lead = M if role in MEDIA_LINE else ""
        lines.append(f"{lead}[02/03/2024, 10:{minute:02d}:00] {name}: {M if marked else ''}{text}")
        expected.append(("wa:system" if result == "notice" else "wa:" + who.removeprefix("~ "), result))
    (folder / "_chat.txt").write_text("\r\n".join(lines), encoding="utf-8")
    messages = read(folder / "_chat.txt")
    assert [(m.author.id, kind_of(m)) for m in messages] == expected
    assert [m.is_system for m in messages] == [result == "notice" for *_, result in expected]
    assert {m.author.id for m in messages} == {"wa:system", "wa:Mika", "wa:Jonas", "wa:Lucas"}  # never the group
    assert {(m.channel.name, m.channel.kind) for m in messages} == {(sample.group, "group")}
    assert messages[22].attachments[0].filename == PHOTO
    assert messages[21].content and M not in "".join(m.content for m in messages)

    # Android: 02.03.24, 11:MM - Name: text (or no name), in chat.txt: the subject names the chat
    lines = [
        f"02.03.24, 11:{minute:02d} - {who + ': ' if who else ''}{sample.android[role]}"
        for minute, (who, role, _) in enumerate(ANDROID)
    ]
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = read(path)
    assert [(m.author.id, kind_of(m)) for m in messages] == [
        ("wa:system" if result == "notice" else f"wa:{who}", result) for who, _, result in ANDROID
    ]
    assert {(m.channel.name, m.channel.kind) for m in messages} == {(f"{sample.group}: 2024", "group")}
    assert messages[6].attachments[0].filename == IMG


def test_every_locale_has_a_test() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_") and len(name) == 7}
    assert tested == {locale.code for locale in LOCALES}
    assert Counter(kind for _, _, kind in IOS) == Counter(
        {"notice": 12, "text": 3, "deleted": 2, "image": 1, "video": 1, "audio": 1, "sticker": 1, "gif": 1,
         "document": 1, "contact": 1, "edited": 1, "file": 1}
    )


def test_en(tmp_path: Path) -> None:
    check(tmp_path, Sample("en", "Runners", ios={
        "encrypted": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can"
                     " read or listen to them.",
        "created": "Mika created group “Runners”",
        "added": "Mika added Jonas",
        "joined": "~ Lucas joined using this group’s invite link",
        "subject": "Mika changed the subject from “Runners” to “Runners 2024”",
        "icon": "Mika changed this group’s icon",
        "description": "Mika changed the group description",
        "security": "Your security code with Jonas changed. Tap to learn more.",
        "disappearing": "Mika turned on disappearing messages. New messages will disappear from this chat 7 days after"
                        " they’re sent, except when kept.",
        "admin": "You’re now an admin",
        "text": "see you at 9",
        "text2": "hi all",
        "image": "image omitted", "video": "video omitted", "audio": "audio omitted", "sticker": "sticker omitted",
        "gif": "GIF omitted", "document": f"Plan.pdf • 1 page {M}document omitted", "contact": "Contact card omitted",
        "deleted": "This message was deleted.", "you_deleted": "You deleted this message.",
        "edited": f"running late {M}<This message was edited>",
        "attached": f"<attached: {PHOTO}>",
        "left": "Jonas left",
        "missed": "Missed voice call",
    }, android={
        "encrypted": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can"
                     " read or listen to them. Tap to learn more.",
        "created": 'Mika created group "Runners: 2024"',
        "added": "Mika added Jonas",
        "media": "<Media omitted>",
        "deleted": "This message was deleted",
        "edited": "running late <This message was edited>",
        "file": f"{IMG} (file attached)",
        "left": "Jonas left",
        "missed": "Missed video call",
    }, extra=[
        ("Jonas", f"{M}This message was deleted by admin Mika.", "deleted"),
    ]))


def test_de(tmp_path: Path) -> None:
    check(tmp_path, Sample("de", "Laufgruppe", ios={
        "encrypted": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie"
                     " lesen oder anhören, nicht einmal WhatsApp.",
        "created": "Mika hat die Gruppe „Laufgruppe“ erstellt",
        "added": "Mika hat Jonas hinzugefügt",
        "joined": "~ Lucas ist über den Einladungslink dieser Gruppe beigetreten",
        "subject": "Mika hat den Betreff von „Laufgruppe“ zu „Laufgruppe 2024“ geändert",
        "icon": "Mika hat das Gruppenbild geändert",
        "description": "Mika hat die Gruppenbeschreibung geändert",
        "security": "Deine Sicherheitsnummer für Jonas hat sich geändert. Tippe, um mehr zu erfahren.",
        "disappearing": "Mika hat selbstlöschende Nachrichten aktiviert. Neue Nachrichten verschwinden 7 Tage nach dem"
                        " Senden aus diesem Chat.",
        "admin": "Du bist jetzt Admin",
        "text": "bis gleich",
        "text2": "hallo zusammen",
        "image": "Bild weggelassen", "video": "Video weggelassen", "audio": "Audio weggelassen",
        "sticker": "Sticker weggelassen", "gif": "GIF weggelassen",
        "document": f"Plan.pdf • 1 Seite {M}Dokument weggelassen", "contact": "Kontaktkarte ausgelassen",
        "deleted": "Diese Nachricht wurde gelöscht.", "you_deleted": "Du hast diese Nachricht gelöscht.",
        "edited": f"komme später {M}<Diese Nachricht wurde bearbeitet.>",
        "attached": f"<Anhang: {PHOTO}>",
        "left": "Jonas hat die Gruppe verlassen",
        "missed": "Verpasster Sprachanruf",
    }, android={
        "encrypted": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie"
                     " lesen oder anhören, nicht einmal WhatsApp. Tippe, um mehr zu erfahren.",
        "created": "Mika hat die Gruppe „Laufgruppe: 2024“ erstellt",
        "added": "Mika hat Jonas hinzugefügt",
        "media": "<Medien weggelassen>",
        "deleted": "Diese Nachricht wurde gelöscht",
        "edited": "komme später <Diese Nachricht wurde bearbeitet.>",
        "file": f"{IMG} (Datei angehängt)",
        "left": "Jonas hat die Gruppe verlassen",
        "missed": "Verpasster Videoanruf",
    }, extra=[
        ("Mika", "<Medien ausgeschlossen>", "media"),  # the older Android spelling
    ]))


def test_nl(tmp_path: Path) -> None:
    check(tmp_path, Sample("nl", "Hardlopers", ios={
        "encrypted": "Berichten en gesprekken worden end-to-end versleuteld. Niemand buiten deze chat, zelfs WhatsApp"
                     " niet, kan ze lezen of beluisteren.",
        "created": "Mika heeft de groep “Hardlopers” aangemaakt",
        "added": "Mika heeft Jonas toegevoegd",
        "joined": "~ Lucas neemt deel via de uitnodigingslink van deze groep",
        "subject": "Mika heeft de groepsnaam gewijzigd van “Hardlopers” naar “Hardlopers 2024”",
        "icon": "Mika heeft het groepspictogram gewijzigd",
        "description": "Mika heeft de groepsbeschrijving gewijzigd",
        "security": "Uw beveiligingscode voor Jonas is gewijzigd. Tik voor meer informatie.",
        "disappearing": "Mika heeft verdwijnende berichten ingeschakeld. Nieuwe berichten verdwijnen 7 dagen nadat ze"
                        " zijn verzonden uit deze chat.",
        "admin": "Je bent nu beheerder",
        "text": "tot zo",
        "text2": "hoi allemaal",
        "image": "afbeelding weggelaten", "video": "video weggelaten", "audio": "audio weggelaten",
        "sticker": "sticker weggelaten", "gif": "GIF weggelaten",
        "document": f"Plan.pdf • 1 pagina {M}document weggelaten", "contact": "Visitekaartje weggelaten",
        "deleted": "Dit bericht is verwijderd.", "you_deleted": "U hebt dit bericht verwijderd.",
        "edited": f"ik ben later {M}<Dit bericht is bewerkt>",
        "attached": f"<bijgevoegd: {PHOTO}>",
        "left": "Jonas heeft de groep verlaten",
        "missed": "Gemist spraakgesprek",
    }, android={
        "encrypted": "Berichten en oproepen zijn end-to-end versleuteld. Tik voor meer informatie.",
        "created": 'Mika heeft de groep "Hardlopers: 2024" aangemaakt',
        "added": "Mika heeft Jonas toegevoegd",
        "media": "<Media weggelaten>",
        "deleted": "Dit bericht is verwijderd",
        "edited": "ik ben later <Dit bericht is bewerkt>",
        "file": f"{IMG} (bestand bijgevoegd)",
        "left": "Jonas heeft de groep verlaten",
        "missed": "Gemiste video-oproep",
    }))


def test_pt(tmp_path: Path) -> None:
    check(tmp_path, Sample("pt", "Corredores", ios={
        "encrypted": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta e ficam somente"
                     " entre você e os participantes desta conversa. Nem mesmo o WhatsApp pode ler ou ouvi-las.",
        "created": "Mika criou o grupo “Corredores”",
        "added": "Mika adicionou Jonas",
        "joined": "~ Lucas entrou usando o link de convite deste grupo",
        "subject": "Mika mudou o assunto de “Corredores” para “Corredores 2024”",
        "icon": "Mika mudou a imagem deste grupo",
        "description": "Mika mudou a descrição do grupo",
        "security": "Seu código de segurança com Jonas mudou. Toque para saber mais.",
        "disappearing": "Mika ativou as mensagens temporárias. As novas mensagens desaparecerão desta conversa 7 dias"
                        " após o envio.",
        "admin": "Agora você é admin",
        "text": "até já",
        "text2": "oi gente",
        "image": "imagem ocultada", "video": "vídeo omitido", "audio": "áudio ocultado",
        "sticker": "figurinha omitida", "gif": "GIF omitido",
        "document": f"Plano.pdf • 1 página {M}documento omitido", "contact": "Cartão do contato omitido",
        "deleted": "Mensagem apagada", "you_deleted": "Você apagou esta mensagem",
        "edited": f"vou atrasar {M}<Mensagem editada>",
        "attached": f"<anexado: {PHOTO}>",
        "left": "Jonas saiu",
        "missed": "Chamada de voz perdida",
    }, android={
        "encrypted": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta e ficam somente"
                     " entre você e os participantes desta conversa. Toque para saber mais.",
        "created": 'Mika criou o grupo "Corredores: 2024"',
        "added": "Mika adicionou Jonas",
        "media": "<Mídia oculta>",
        "deleted": "Esta mensagem foi apagada",
        "edited": "vou atrasar <Mensagem editada>",
        "file": f"{IMG} (arquivo anexado)",
        "left": "Jonas saiu",
        "missed": "Chamada de vídeo perdida",
    }, extra=[  # Portugal
        ("Jonas", f"{M}imagem não revelada", "image"),
        ("Jonas", "<Ficheiro não revelado>", "media"),
        ("group", f"{M}As mensagens e chamadas são encriptadas ponto a ponto. Ninguém fora desta conversa, nem mesmo o"
                  " WhatsApp, pode ler ou ouvi-las.", "notice"),
    ]))


def test_es(tmp_path: Path) -> None:
    check(tmp_path, Sample("es", "Corredores", ios={
        "encrypted": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni"
                     " siquiera WhatsApp, puede leerlos ni escucharlos.",
        "created": "Mika creó el grupo “Corredores”",
        "added": "Mika añadió a Jonas",
        "joined": "~ Lucas se unió usando el enlace de invitación de este grupo",
        "subject": "Mika cambió el asunto de “Corredores” a “Corredores 2024”",
        "icon": "Mika cambió el ícono de este grupo",
        "description": "Mika cambió la descripción del grupo",
        "security": "Cambió tu código de seguridad con Jonas. Toca para obtener más información.",
        "disappearing": "Mika activó los mensajes temporales. Los mensajes nuevos desaparecerán de este chat 7 días"
                        " después de que se envíen.",
        "admin": "Ahora eres admin. del grupo",
        "text": "nos vemos",
        "text2": "hola a todos",
        "image": "imagen omitida", "video": "video omitido", "audio": "audio omitido",
        "sticker": "sticker omitido", "gif": "GIF omitido",
        "document": f"Plan.pdf • 1 página {M}documento omitido", "contact": "Tarjeta de contacto omitida",
        "deleted": "Se eliminó este mensaje.", "you_deleted": "Eliminaste este mensaje.",
        "edited": f"llego tarde {M}<Se editó este mensaje.>",
        "attached": f"<adjunto: {PHOTO}>",
        "left": "Jonas salió del grupo",
        "missed": "Llamada perdida",
    }, android={
        "encrypted": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni"
                     " siquiera WhatsApp, puede leerlos ni escucharlos. Toca para obtener más información.",
        "created": 'Mika creó el grupo "Corredores: 2024"',
        "added": "Mika añadió a Jonas",
        "media": "<Multimedia omitido>",
        "deleted": "Este mensaje fue eliminado",
        "edited": "llego tarde <Se editó este mensaje.>",
        "file": f"{IMG} (archivo adjunto)",
        "left": "Jonas salió",
        "missed": "Videollamada perdida",
    }, extra=[
        ("Jonas", f"{M}Un admin., Mika, eliminó este mensaje.", "deleted"),
        ("Jonas", "Esperando este mensaje. Esto puede tomar tiempo.", "pending"),
        ("group", f"{M}Mika fijó un mensaje", "notice"),
        ("group", f"{M}Mika te eliminó", "notice"),
    ]))


def test_fr(tmp_path: Path) -> None:
    check(tmp_path, Sample("fr", "Coureurs", ios={
        "encrypted": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne"
                     " peut les lire ou les écouter.",
        "created": "Mika a créé le groupe « Coureurs »",
        "added": "Mika a ajouté Jonas",
        "joined": "~ Lucas a rejoint en utilisant le lien d’invitation de ce groupe",
        "subject": "Mika a modifié le sujet de « Coureurs » en « Coureurs 2024 »",
        "icon": "Mika a modifié l’icône de ce groupe",
        "description": "Mika a modifié la description du groupe",
        "security": "Votre code de sécurité avec Jonas a changé. Appuyez pour en savoir plus.",
        "disappearing": "Mika a activé les messages éphémères. Les nouveaux messages disparaîtront de cette discussion"
                        " 7 jours après leur envoi.",
        "admin": "Vous êtes désormais admin",
        "text": "à tout de suite",
        "text2": "salut tout le monde",
        "image": "image absente", "video": "vidéo absente", "audio": "audio omis",
        "sticker": "sticker omis", "gif": "GIF retiré",
        "document": f"Plan.pdf • 1 page {M}document manquant", "contact": "Fiche contact manquante",
        "deleted": "Ce message a été supprimé.", "you_deleted": "Vous avez supprimé ce message.",
        "edited": f"j’arrive {M}<Ce message a été modifié>",
        "attached": f"<pièce jointe : {PHOTO}>",
        "left": "Jonas a quitté le groupe",
        "missed": "Appel vocal manqué",
    }, android={
        "encrypted": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne"
                     " peut les lire ou les écouter. Appuyez pour en savoir plus.",
        "created": 'Mika a créé le groupe "Coureurs: 2024"',
        "added": "Mika a ajouté Jonas",
        "media": "<Médias omis>",
        "deleted": "Ce message a été supprimé",
        "edited": "j’arrive <Ce message a été modifié>",
        "file": f"{IMG} (fichier joint)",
        "left": "Jonas est parti",
        "missed": "Appel vidéo manqué",
    }))


def test_it(tmp_path: Path) -> None:
    check(tmp_path, Sample("it", "Corsa", ios={
        "encrypted": "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa chat,"
                     " nemmeno WhatsApp, può leggerne o ascoltarne il contenuto.",
        "created": "Mika ha creato il gruppo “Corsa”",
        "added": "Mika ha aggiunto Jonas",
        "joined": "~ Lucas si è unito tramite il link d’invito al gruppo",
        "subject": "Mika ha cambiato l’oggetto da “Corsa” a “Corsa 2024”",
        "icon": "Mika ha cambiato l’immagine del gruppo",
        "description": "Mika ha cambiato la descrizione del gruppo",
        "security": "Il tuo codice di sicurezza con Jonas è cambiato. Tocca per saperne di più.",
        "disappearing": "Mika ha attivato i messaggi effimeri. I nuovi messaggi scompariranno da questa chat 7 giorni"
                        " dopo l’invio.",
        "admin": "Ora sei un amministratore",
        "text": "a dopo",
        "text2": "ciao a tutti",
        "image": "immagine omessa", "video": "video omesso", "audio": "audio omesso",
        "sticker": "sticker non incluso", "gif": "GIF esclusa",
        "document": f"Piano.pdf • 1 pagina {M}documento omesso", "contact": "Scheda contatto omessa",
        "deleted": "Questo messaggio è stato eliminato.", "you_deleted": "Hai eliminato questo messaggio.",
        "edited": f"arrivo {M}<Questo messaggio è stato modificato>",
        "attached": f"<allegato: {PHOTO}>",
        "left": "Jonas è uscito",
        "missed": "Chiamata vocale persa",
    }, android={
        "encrypted": "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa chat,"
                     " nemmeno WhatsApp, può leggerne o ascoltarne il contenuto. Tocca per saperne di più.",
        "created": 'Mika ha creato il gruppo "Corsa: 2024"',
        "added": "Mika ha aggiunto Jonas",
        "media": "<Media omessi>",
        "deleted": "Questo messaggio è stato eliminato",
        "edited": "arrivo <Questo messaggio è stato modificato>",
        "file": f"{IMG} (file allegato)",
        "left": "Jonas ha abbandonato",
        "missed": "Videochiamata persa",
    }))


def test_ru(tmp_path: Path) -> None:
    check(tmp_path, Sample("ru", "Бег", ios={
        "encrypted": "Сообщения и звонки защищены сквозным шифрованием. Третьи лица, включая WhatsApp, не могут"
                     " прочитать ваши сообщения или прослушать звонки.",
        "created": "Mika создал(-а) группу «Бег»",
        "added": "Mika добавил(-а) Jonas",
        "joined": "~ Lucas присоединился(-ась) к группе по ссылке-приглашению",
        "subject": "Mika изменил(-а) тему с «Бег» на «Бег 2024»",
        "icon": "Mika изменил(-а) картинку группы",
        "description": "Mika изменил(-а) описание группы",
        "security": "Ваш код безопасности с контактом Jonas изменился. Подробнее.",
        "disappearing": "Mika включил(-а) исчезающие сообщения. Новые сообщения будут исчезать из этого чата через"
                        " 7 дн. после отправки.",
        "admin": "Теперь вы админ группы",
        "text": "до встречи",
        "text2": "всем привет",
        "image": "изображение отсутствует", "video": "видео отсутствует", "audio": "аудиофайл отсутствует",
        "sticker": "стикер не добавлен", "gif": "GIF отсутствует",
        "document": f"План.pdf • 1 стр. {M}документ отсутствует", "contact": "Карточка контакта отсутствует",
        "deleted": "Данное сообщение удалено.", "you_deleted": "Вы удалили данное сообщение.",
        "edited": f"опаздываю {M}<Сообщение изменено>",
        "attached": f"<прикреплено: {PHOTO}>",
        "left": "Jonas вышел(-ла)",
        "missed": "Пропущенный аудиозвонок",
    }, android={
        "encrypted": "Сообщения и звонки защищены сквозным шифрованием. Третьи лица, включая WhatsApp, не могут"
                     " прочитать ваши сообщения или прослушать звонки. Подробнее.",
        "created": 'Mika создал(-а) группу "Бег: 2024"',
        "added": "Mika добавил(-а) Jonas",
        "media": "<Без медиафайлов>",
        "deleted": "Сообщение удалено",
        "edited": "опаздываю <Сообщение изменено>",
        "file": f"{IMG} (файл добавлен)",
        "left": "Jonas вышел(-а)",
        "missed": "Пропущенный видеозвонок",
    }))


def test_tr(tmp_path: Path) -> None:
    check(tmp_path, Sample("tr", "Koşucular", ios={
        "encrypted": "Mesajlar ve aramalar uçtan uca şifrelidir. WhatsApp da dahil olmak üzere bu sohbetin dışında"
                     " bulunan hiç kimse mesaj ve aramalarınızı okuyamaz ve dinleyemez.",
        "created": "Mika “Koşucular” grubunu oluşturdu",
        "added": "Mika Jonas kişisini ekledi",
        "joined": "~ Lucas bu grubun davet bağlantısıyla katıldı",
        "subject": "Mika “Koşucular” olan grup adını “Koşucular 2024” olarak değiştirdi",
        "icon": "Mika grubun simgesini değiştirdi",
        "description": "Mika grup açıklamasını değiştirdi",
        "security": "Jonas ile aranızdaki güvenlik kodu değişti. Daha fazla bilgi edinmek için dokunun.",
        "disappearing": "Mika süreli mesajları açtı. Yeni mesajlar gönderildikten 7 gün sonra bu sohbetten"
                        " kaybolacak.",
        "admin": "Artık yöneticisiniz",
        "text": "görüşürüz",
        "text2": "selam millet",
        "image": "görüntü dahil edilmedi", "video": "video dahil edilmedi", "audio": "ses dahil edilmedi",
        "sticker": "Çıkartma dahil edilmedi", "gif": "GIF dahil edilmedi",
        "document": f"Plan.pdf • 1 sayfa {M}belge dahil edilmedi", "contact": "Kişi kartı dahil edilmedi",
        "deleted": "Bu mesaj silindi.", "you_deleted": "Bu mesajı sildiniz.",
        "edited": f"geç kalacağım {M}<Bu mesaj düzenlendi>",
        "attached": f"<eklendi: {PHOTO}>",
        "left": "Jonas ayrıldı",
        "missed": "Cevapsız sesli arama",
    }, android={
        "encrypted": "Mesajlar ve aramalar uçtan uca şifrelidir. WhatsApp da dahil olmak üzere bu sohbetin dışında"
                     " bulunan hiç kimse mesaj ve aramalarınızı okuyamaz ve dinleyemez.",
        "created": 'Mika "Koşucular: 2024" grubunu oluşturdu',
        "added": "Mika Jonas kişisini ekledi",
        "media": "<Medya dahil edilmedi>",
        "deleted": "Bu mesaj silindi",
        "edited": "geç kalacağım <Bu mesaj düzenlendi>",
        "file": f"{IMG} (dosya ekli)",
        "left": "Jonas ayrıldı",
        "missed": "Cevapsız görüntülü arama",
    }))


def test_id(tmp_path: Path) -> None:
    check(tmp_path, Sample("id", "Pelari", ios={
        "encrypted": "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk"
                     " WhatsApp, yang dapat membaca atau mendengarkannya.",
        "created": "Mika membuat grup “Pelari”",
        "added": "Mika menambahkan Jonas",
        "joined": "~ Lucas bergabung menggunakan tautan undangan grup ini",
        "subject": "Mika mengubah subjek dari “Pelari” menjadi “Pelari 2024”",
        "icon": "Mika mengubah ikon grup ini",
        "description": "Mika mengubah deskripsi grup",
        "security": "Kode keamanan Anda dengan Jonas telah berubah. Ketuk untuk info selengkapnya.",
        "disappearing": "Mika mengaktifkan pesan sementara. Pesan baru akan hilang dari chat ini 7 hari setelah"
                        " dikirim.",
        "admin": "Anda sekarang admin",
        "text": "sampai nanti",
        "text2": "halo semua",
        "image": "gambar tidak disertakan", "video": "video tidak disertakan", "audio": "audio tidak disertakan",
        "sticker": "stiker tidak disertakan", "gif": "GIF tidak disertakan",
        "document": f"Rencana.pdf • 1 halaman {M}dokumen tidak disertakan", "contact": "Kartu kontak tidak disertakan",
        "deleted": "Pesan ini dihapus", "you_deleted": "Anda menghapus pesan ini",
        "edited": f"terlambat {M}<Pesan ini diedit>",
        "attached": f"<terlampir: {PHOTO}>",
        "left": "Jonas keluar",
        "missed": "Panggilan suara tak terjawab",
    }, android={
        "encrypted": "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk"
                     " WhatsApp, yang dapat membaca atau mendengarkannya. Ketuk untuk info selengkapnya.",
        "created": 'Mika membuat grup "Pelari: 2024"',
        "added": "Mika menambahkan Jonas",
        "media": "<Media tidak disertakan>",
        "deleted": "Pesan ini telah dihapus",
        "edited": "terlambat <Pesan ini diedit>",
        "file": f"{IMG} (file terlampir)",
        "left": "Jonas keluar",
        "missed": "Panggilan video tak terjawab",
    }))
