"""What the sample's conversations are about: one template per topic.

A session picks a topic and fills its slots once (the same game or show for the whole session),
so openers, reactions and follow-ups fit together. Friends' lines are neutral and get styled per
speaker (:data:`shizu.sample.cast.STYLES`); Mika's lines are already in her voice.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Topic:
    friend_open: tuple[str, ...]
    mika_open: tuple[str, ...]
    mika_react: tuple[str, ...]
    mika_more: tuple[str, ...]
    friend_more: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    media_heavy: bool = False  # memes: images and GIFs are most of the point


GAMES = ("Silksong", "Stardew Valley", "Zelda", "Minecraft", "Elden Ring", "Mario Kart", "Overwatch")
SHOWS = ("Severance", "The Bear", "Arcane", "Frieren", "One Piece", "Bluey")
FOODS = ("ramen", "tacos", "pho", "pizza", "sushi", "dumplings", "curry")
ARTISTS = ("Mitski", "Laufey", "boygenius", "Beabadoobee", "Phoebe Bridgers")
PLACES = ("the arcade", "the night market", "the beach", "the mall", "the cat cafe", "the park")
DAYS = ("Friday", "Saturday", "Sunday")
TIMES = ("7", "8", "9")

TOPICS: dict[str, Topic] = {
    "game_trailer": Topic(
        friend_open=("did anyone see the new {game} trailer?", "the {game} trailer just dropped",
                     "{game} update is finally out", "they announced a release date for {game}"),
        mika_open=("the {game} trailer", "has anyone played the new {game} update",
                   "ok who wants to play {game} tonight", "i just watched the {game} trailer 4 times"),
        mika_react=("wait what", "no bc i screamed", "i need it rn", "im not ok", "the way i gasped",
                    "we are so back"),
        mika_more=("the art style is so pretty", "if they delay it again im rioting", "i have been waiting since 2019",
                   "im taking the day off when it comes out", "the music at the end", "i already know im gonna cry"),
        friend_more=("the release date is next month", "it looks way better than the last one",
                     "i'm not getting my hopes up", "the soundtrack was amazing", "who wants to play it together?",
                     "i already preordered it", "did you see the part at the end?"),
        slots={"game": GAMES},
    ),
    "game_night": Topic(
        friend_open=("anyone up for {game} on {day}?", "game night {day}?", "we should play {game} at {time}",
                     "who's online tonight?"),
        mika_open=("game night {day}??", "whos on tonight", "im bored someone play {game} with me",
                   "{game} at {time}??"),
        mika_react=("im in", "say less", "omg yes", "count me in", "only if im not on ur team lmao", "finally"),
        mika_more=("ill bring snacks (virtually)", "last time was chaos tho", "i call dibs on the good controller",
                   "im gonna carry again obviously", "dont let me pick the map", "pls no sweaty lobbies"),
        friend_more=("i can do {time}", "i'll set up the server", "sam you're coming right?",
                     "bring your a game this time", "last time you rage quit", "works for me", "i'll be a bit late"),
        slots={"game": GAMES, "day": DAYS, "time": TIMES},
    ),
    "food": Topic(
        friend_open=("i'm making {food} tonight", "what are you guys eating?", "found a new {food} place near me",
                     "i'm so hungry"),
        mika_open=("i want {food} so bad rn", "just had the best {food} of my life", "guess who burnt the {food} again",
                   "what should i eat"),
        mika_react=("stop im so hungry now", "ok now i want {food}", "share", "that sounds so good",
                    "u eat better than me", "save me some"),
        mika_more=("i had cereal for dinner again", "we need to go together", "send pics",
                   "my cooking skills are nonexistent", "i miss the {food} place near my old flat",
                   "adding it to the list"),
        friend_more=("it was honestly amazing", "i'll send you the address", "ten out of ten would recommend",
                     "we should go this weekend", "my kitchen is a disaster now", "it took like two hours",
                     "the portions are huge"),
        slots={"food": FOODS},
    ),
    "show": Topic(
        friend_open=("have you watched {show} yet?", "just finished {show}", "the new episode of {show} though",
                     "no spoilers but {show}"),
        mika_open=("the new {show} episode", "ok im finally watching {show}", "why did nobody warn me about {show}",
                   "{show} rewatch anyone"),
        mika_react=("dont spoil pls", "im only on episode 3", "the ending??", "i sobbed", "obsessed with it",
                    "not me crying at 2am"),
        mika_more=("the soundtrack goes so hard", "that one scene lives in my head rent free",
                   "im rewatching it already",
                   "the main character is literally me", "we need to talk abt the ending", "10 out of 10 no notes"),
        friend_more=("the ending was wild", "season two is even better", "i didn't expect that twist at all",
                     "it gets good after episode four", "i'm not crying, you're crying", "ok i won't spoil anything",
                     "the cast is perfect"),
        slots={"show": SHOWS},
    ),
    "stress": Topic(
        friend_open=("i have a deadline tomorrow and i haven't started", "work was so long today",
                     "my boss scheduled another meeting", "exams start next week"),
        mika_open=("i have so much due this week", "pls tell me why i have 3 essays due",
                   "i fell asleep during the meeting again", "my brain is mush today"),
        mika_react=("sending u strength", "thats so rough", "u got this", "same energy as me rn",
                    "we are all suffering together", "noooo"),
        mika_more=("i have not slept properly in days", "procrastination speedrun any%",
                   "ill reward myself with bubble tea after", "we should study together on call",
                   "why is adulting like this", "i made a to do list and then took a nap"),
        friend_more=("i just need to get through this week", "thanks, i needed that",
                     "coffee is the only thing keeping me alive", "at least it's almost the weekend",
                     "i'm going to bed early tonight, for real", "i have two more to go"),
    ),
    "pets": Topic(
        friend_open=("{pet} learned a new trick", "my dog just ate my sock", "look at my cat",
                     "{pet} is being so clingy today"),
        mika_open=("mochi knocked my plant off the shelf again", "look at mochi rn", "my cat is judging me",
                   "mochi woke me up at 5am"),
        mika_react=("baby", "protect at all costs", "i would die for them", "the cutest thing ive ever seen",
                    "give them a kiss from me", "pls i love them"),
        mika_more=("mochi says hi", "she has been sleeping on my keyboard all day", "shes so dramatic",
                   "i bought her a new toy and she ignored it", "she only loves me at 3am",
                   "she sat on my homework again"),
        friend_more=("they're honestly so spoiled", "i'll send more pics later", "they're asleep now",
                     "the vet said they're perfectly healthy", "they stole my spot on the couch",
                     "mochi is the real main character"),
        slots={"pet": ("Pepper", "Biscuit", "Noodle")},
    ),
    "music": Topic(
        friend_open=("{artist} just announced a tour", "have you heard the new {artist} album?",
                     "i can't stop listening to {artist}", "what are you listening to right now?"),
        mika_open=("the new {artist} album is on repeat", "{artist} tour tickets tomorrow whos in",
                   "this {artist} song has been stuck in my head all day", "recommend me songs pls"),
        mika_react=("the queue is gonna be insane", "im seated", "omg we need to go", "crying screaming",
                    "literally my whole personality", "u have such good taste"),
        mika_more=("track 4 is my favorite", "the bridge in that one song", "ive listened like 40 times today",
                   "i have the tickets page open already", "pls we have to get good seats",
                   "adding it to my playlist"),
        friend_more=("tickets go on sale friday", "the last show was incredible", "i'll try to get presale codes",
                     "track six is the best one", "i've listened to it five times already",
                     "the live version is even better"),
        slots={"artist": ARTISTS},
    ),
    "plans": Topic(
        friend_open=("what's everyone doing this weekend?", "we should hang out on {day}",
                     "anyone want to go to {place} on {day}?", "i'm so bored, let's do something"),
        mika_open=("who wants to go to {place} this weekend", "hang out {day}??", "i need to get out of my room",
                   "{place} on {day} yes or yes"),
        mika_react=("yesss", "im free after 4", "lets do it", "im down", "omg finally", "say less"),
        mika_more=("we can get bubble tea after", "ill be late tho as usual", "bring the polaroid camera",
                   "can we go to the little cafe again", "if it rains were going anyway",
                   "i need new pics for my feed"),
        friend_more=("let's meet at the station at 2", "i'll make a group plan", "i might be a bit late",
                     "the weather looks good", "who's driving?", "bring snacks", "i'm in"),
        slots={"place": PLACES, "day": DAYS},
    ),
    "memes": Topic(
        friend_open=("this meme is literally us", "why is this so accurate", "i found the funniest video",
                     "okay this one is for mika"),
        mika_open=("this is so me", "im crying at this", "sending this to everyone", "found this at 3am"),
        mika_react=("lmaooo", "im wheezing", "the accuracy", "why am i in this", "i cant breathe", "not the cat"),
        mika_more=("i showed my mom and she didnt get it", "this is going in the group chat", "saving this forever",
                   "the caption is killing me", "i have watched this 20 times"),
        friend_more=("it's been on my feed all day", "the second one is even worse", "i had to stop at the end",
                     "sending this to my brother", "who made this"),
        media_heavy=True,
    ),
    "sleep": Topic(
        friend_open=("why are you still awake?", "i can't sleep", "it's 3am and i'm hungry", "anyone awake?"),
        mika_open=("its 3am and im thinking about my life choices", "cant sleep again", "who else is awake",
                   "i should sleep but"),
        mika_react=("same", "sleep is for the weak", "were so nocturnal", "go to bed", "insomnia gang",
                    "me every night"),
        mika_more=("my sleep schedule is ruined forever", "i have class at 9 too", "one more episode and then i sleep",
                   "i made tea and now im wide awake", "ok goodnight for real this time"),
        friend_more=("i have to get up in four hours", "okay i'm actually going to sleep now", "good night",
                     "put your phone down", "same, honestly"),
    ),
    "birthday": Topic(
        friend_open=("juno's birthday is next week, what should we do?", "we need a plan for the birthday",
                     "who's bringing the cake?"),
        mika_open=("birthday plans!!", "ok i have a cake idea", "should we do a surprise party"),
        mika_react=("omg a party", "im so excited", "i can bake", "karaoke pls", "cake cake cake"),
        mika_more=("strawberry cake obviously", "i already bought the balloons", "dont tell her",
                   "we can do it at my place", "i made a playlist for it"),
        friend_more=("let's keep it small", "i'll bring drinks", "karaoke sounds perfect", "we should split the cost",
                     "she's going to love it"),
    ),
    "weather": Topic(
        friend_open=("it's so hot today", "it won't stop raining", "it snowed here!", "the sky is so pretty tonight"),
        mika_open=("its so hot i am melting", "the rain is so cozy rn", "it snowed!!", "look at the sky rn"),
        mika_react=("same here", "i hate it", "so pretty", "stay inside", "cozy weather"),
        mika_more=("i live in hoodies now", "perfect weather for a nap", "mochi is hiding under the blanket",
                   "i need an iced coffee"),
        friend_more=("i'm not leaving the house", "it's supposed to clear up tomorrow", "my umbrella broke",
                     "perfect weather for soup"),
    ),
    "gym": Topic(
        friend_open=("leg day today", "went for a run this morning", "i signed up for a gym",
                     "my arms are so sore"),
        mika_open=("i went on a walk does that count", "i did yoga for 10 minutes", "the gym is scary"),
        mika_react=("proud of u", "couldnt be me", "u are so disciplined", "respect", "im tired just reading that"),
        mika_more=("my workout is walking to the fridge", "i will start on monday (i wont)",
                   "maybe ill come with u once", "do u have a playlist for it"),
        friend_more=("you should come with me", "it gets easier", "no excuses", "my legs are gone",
                     "five kilometres!"),
    ),
    "contacts": Topic(
        friend_open=("i got a new phone, my number is {theo_phone} now",
                     "can you email me the photos? it's {theo_email}"),
        mika_open=("my new email is {mika_email} btw", "text me at {mika_phone} my discord keeps crashing"),
        mika_react=("saved", "got it", "ok ok", "noted"),
        mika_more=("sending them now", "u still have my old number right", "ill text u later"),
        friend_more=("thanks!", "let me know when you've sent it", "got it, saved", "perfect"),
    ),
    "minecraft": Topic(
        friend_open=("i set up the server, the ip is in the pins", "should we do a hardcore world?",
                     "who's building the base?", "someone took all the iron again"),
        mika_open=("i claim the spot by the river", "can we pls build a cat cafe", "someone help me i fell in lava",
                   "i found diamonds"),
        mika_react=("omg yes", "im building a cottage", "not the creepers", "pls dont blow up my house", "teamwork"),
        mika_more=("my house has a flower garden now", "i named my horse mochi", "who keeps stealing my carrots",
                   "i built a tiny bridge its so cute", "can someone bring me food"),
        friend_more=("i'll build the farm", "the nether portal is done", "don't touch the redstone",
                     "we need more wood", "i'm on now", "hardcore sounds fun"),
    ),
}

# Reactions that fit any topic.
MIKA_GENERIC = (
    "no bc", "im crying", "bestie what", "thats so real", "stoppp", "lmaooo", "not this again",
    "ok but why is this so accurate", "the way i screamed", "nah bc same", "obsessed", "i cant with u",
    "wait", "literally me", "this is sending me",
)
FRIEND_GENERIC = (
    "lol", "true", "same, honestly", "wait, really?", "that's fair", "no way", "ok that's funny", "valid",
    "i agree", "exactly", "haha yes",
)
