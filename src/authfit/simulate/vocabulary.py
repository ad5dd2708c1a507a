"""Word and phrase pools the simulator draws from. Pure data: no behaviour beyond lookups."""

from __future__ import annotations

NICHE_WORDS: dict[str, tuple[str, ...]] = {
    "fitness": (
        "workout", "gym", "squats", "deadlift", "cardio", "protein", "gains", "legday", "hiit", "sweat",
        "training", "reps", "sets", "muscle", "abs", "core", "kettlebell", "dumbbell", "barbell", "stretch",
        "mobility", "run", "marathon", "sprint", "coach", "strength", "endurance", "shred", "bulk",
        "macros", "recovery", "pushups", "pullups", "plank", "burpees", "lunges", "glutes", "shoulders",
        "physique", "athlete", "crossfit", "yoga", "pilates", "routine", "progress", "personal best",
        "warmup", "cooldown", "preworkout", "fit",
    ),
    "beauty": (
        "makeup", "skincare", "serum", "foundation", "concealer", "lipstick", "mascara", "eyeliner", "glow",
        "highlighter", "contour", "blush", "bronzer", "primer", "moisturizer", "cleanser", "toner",
        "retinol", "spf", "palette", "eyeshadow", "brows", "lashes", "nails", "manicure", "gloss", "matte",
        "dewy", "complexion", "pores", "hydration", "glam", "tutorial", "swatch", "shade", "vitamin c",
        "niacinamide", "sheet mask", "routine", "fragrance", "perfume", "haircare", "curls", "balayage",
        "lip liner", "setting spray", "beauty blender", "skin",
    ),
    "fashion": (
        "outfit", "ootd", "style", "look", "dress", "jeans", "denim", "sneakers", "boots", "heels",
        "blazer", "coat", "trench", "knitwear", "sweater", "skirt", "handbag", "tote", "accessories",
        "jewelry", "earrings", "vintage", "thrifted", "streetwear", "tailoring", "silhouette", "linen",
        "silk", "leather", "wardrobe", "capsule", "minimal", "trend", "runway", "designer", "collection",
        "layering", "neutrals", "colour", "fit check", "lookbook", "fashion week", "styling", "sunglasses",
        "scarf", "loafers", "cardigan", "jumpsuit",
    ),
    "food": (
        "recipe", "dinner", "lunch", "brunch", "breakfast", "pasta", "pizza", "sourdough", "bread", "cake",
        "dessert", "chocolate", "vegan", "salad", "soup", "curry", "ramen", "sushi", "tacos", "burger",
        "homemade", "baking", "oven", "flavour", "spicy", "garlic", "lemon", "avocado", "cheese", "butter",
        "cookies", "pancakes", "smoothie", "bowl", "meal prep", "restaurant", "chef", "kitchen",
        "ingredients", "seasonal", "roasted", "grilled", "crispy", "sauce", "risotto", "tiramisu",
        "croissant", "coffee", "matcha", "foodie",
    ),
    "travel": (
        "travel", "trip", "wanderlust", "beach", "island", "mountains", "hiking", "roadtrip", "sunset",
        "sunrise", "adventure", "backpacking", "passport", "flight", "airport", "hotel", "resort", "villa",
        "old town", "city break", "lake", "alps", "coast", "ocean", "snorkeling", "camping", "van life",
        "itinerary", "hidden gem", "views", "explore", "destination", "culture", "market", "street food",
        "museum", "cathedral", "canal", "train", "scenic", "waterfall", "glacier", "desert", "safari",
        "bucket list", "getaway", "weekend", "postcard",
    ),
    "gaming": (
        "gaming", "stream", "twitch", "setup", "controller", "console", "pc build", "keyboard", "headset",
        "fps", "rpg", "speedrun", "boss fight", "loot", "ranked", "squad", "clutch", "esports",
        "tournament", "patch", "update", "leaderboard", "level up", "quest", "open world", "indie", "retro",
        "arcade", "graphics", "framerate", "gpu", "rgb", "monitor", "mouse", "co-op", "multiplayer",
        "lobby", "noob", "gg", "victory", "respawn", "skins", "battle pass", "sandbox", "strategy",
        "cosplay", "lets play", "highlights",
    ),
    "pets": (
        "dog", "puppy", "cat", "kitten", "doggo", "good boy", "good girl", "paws", "fluffy", "walkies",
        "fetch", "treats", "zoomies", "nap", "cuddles", "rescue", "adopt", "shelter", "vet", "grooming",
        "leash", "collar", "bark", "meow", "purr", "tail", "golden retriever", "corgi", "labrador",
        "poodle", "tabby", "bunny", "hamster", "parrot", "aquarium", "horse", "pawsome", "furbaby", "snoot",
        "belly rubs", "dog park", "training", "chew toy", "kibble", "litter", "whiskers", "pet",
        "best friend",
    ),
    "family": (
        "family", "kids", "baby", "toddler", "mom life", "dad life", "parenting", "newborn", "siblings",
        "bedtime", "playground", "school", "homework", "nursery", "stroller", "diapers", "breastfeeding",
        "pregnancy", "bump", "milestone", "first steps", "birthday", "party", "weekend", "picnic", "crafts",
        "storytime", "cuddles", "tantrum", "naptime", "lunchbox", "holiday", "grandparents", "twins",
        "family time", "memories", "motherhood", "fatherhood", "home", "routine", "toys", "sandbox",
        "bath time", "daycare", "love", "giggles",
    ),
    "interior": (
        "interior", "home decor", "living room", "bedroom", "kitchen", "renovation", "diy", "scandi",
        "minimalist", "boho", "plants", "shelf", "sofa", "armchair", "rug", "lamp", "lighting", "wallpaper",
        "paint", "tiles", "oak", "marble", "linen", "cushions", "throw", "gallery wall", "styling", "nook",
        "workspace", "bathroom", "makeover", "before after", "cozy", "hygge", "furniture", "vintage",
        "thrift", "ceramics", "vase", "candles", "mirror", "curtains", "storage", "declutter", "floor plan",
        "neutral tones", "mid century", "apartment",
    ),
    "personal_development": (
        "mindset", "growth", "habits", "productivity", "motivation", "goals", "journaling", "gratitude",
        "meditation", "mindfulness", "self care", "discipline", "focus", "morning routine", "success",
        "confidence", "resilience", "affirmations", "boundaries", "podcast", "books", "reading", "learning",
        "career", "entrepreneur", "business", "leadership", "purpose", "balance", "wellbeing", "therapy",
        "healing", "clarity", "intentions", "vision board", "coaching", "time management", "side hustle",
        "finance", "budget", "investing", "challenge", "consistency", "progress", "journal prompts",
        "reflection", "energy", "breathwork",
    ),
}

NICHE_HASHTAGS: dict[str, tuple[str, ...]] = {
    "fitness": ("#fitness", "#gym", "#workout", "#fitfam", "#legday", "#gymlife", "#fitnessmotivation",
                "#training", "#strong", "#healthylifestyle", "#homeworkout", "#noexcuses", "#gains",
                "#fitspo"),
    "beauty": ("#beauty", "#makeup", "#skincare", "#mua", "#glowup", "#skincareroutine", "#makeuptutorial",
               "#beautyblogger", "#glam", "#nails", "#selfcare", "#cleanbeauty", "#lipstick", "#motd"),
    "fashion": ("#fashion", "#ootd", "#style", "#outfitoftheday", "#streetstyle", "#fashionblogger",
                "#lookoftheday", "#vintage", "#whatiwore", "#styleinspo", "#sustainablefashion", "#wiw",
                "#fashionista", "#instafashion"),
    "food": ("#food", "#foodie", "#recipe", "#homemade", "#foodporn", "#vegan", "#baking", "#instafood",
             "#yummy", "#healthyfood", "#brunch", "#dinner", "#foodblogger", "#cooking"),
    "travel": ("#travel", "#wanderlust", "#travelgram", "#instatravel", "#explore", "#vacation", "#adventure",
               "#travelphotography", "#roadtrip", "#beach", "#mountains", "#traveltheworld", "#passportready",
               "#hiddengems"),
    "gaming": ("#gaming", "#gamer", "#twitch", "#streamer", "#pcgaming", "#gamingsetup", "#esports",
               "#videogames", "#ps5", "#xbox", "#nintendo", "#gamingcommunity", "#retrogaming", "#gg"),
    "pets": ("#dogsofinstagram", "#catsofinstagram", "#pets", "#puppy", "#dog", "#cat", "#petstagram",
             "#adoptdontshop", "#doglife", "#catlife", "#cute", "#rescuedog", "#furbaby", "#instapets"),
    "family": ("#family", "#momlife", "#dadlife", "#parenting", "#kids", "#baby", "#motherhood",
               "#familytime", "#toddlerlife", "#newborn", "#momblogger", "#familyfirst", "#childhood",
               "#instababy"),
    "interior": ("#interior", "#homedecor", "#interiordesign", "#myhome", "#scandinavianhome", "#diy",
                 "#homestyling", "#renovation", "#plantsofinstagram", "#cozyhome", "#boho", "#hygge",
                 "#interiorinspo", "#apartmenttherapy"),
    "personal_development": ("#mindset", "#motivation", "#selfcare", "#personaldevelopment", "#goals",
                             "#productivity", "#selfgrowth", "#mindfulness", "#success", "#habits",
                             "#inspiration", "#growthmindset", "#journaling", "#selflove"),
}

EMOJIS: tuple[str, ...] = ("😍", "🔥", "❤️", "🙌", "✨", "👏", "😂", "🥰", "💯", "😊", "👌", "💪", "🤩", "💕")

CAPTION_OPENERS: tuple[str, ...] = (
    "", "", "New post:", "Sunday mood:", "Today was all about", "Can't stop thinking about", "Quick update:",
    "Loving this", "Swipe for more", "Finally!", "Throwback to", "Little reminder:", "Weekend plans:",
    "So happy with", "Behind the scenes:", "Let's talk about", "Obsessed with",
)

CAPTION_CLOSERS: tuple[str, ...] = (
    "", "", "What do you think?", "Link in bio", "Tag a friend!", "Save this for later", "Thoughts?",
    "More in my stories", "Which one is your favourite?", "Have a great week",
)

SPONSORED_TAGS: tuple[str, ...] = ("#ad", "#ad #sponsored", "#werbung #ad", "#ad #partner", "#sponsored")

# On-topic comment templates: prefix + niche word + suffix.
TOPIC_PREFIXES: tuple[str, ...] = (
    "love this ", "that ", "omg the ", "need this ", "your ", "where is this ", "obsessed with the ",
    "best ", "so much ", "the ", "great ", "this ", "ok this ", "wow that ", "nothing beats a good ",
)
TOPIC_SUFFIXES: tuple[str, ...] = (
    "", " looks amazing", " is everything", " goals", " from?", " in my life", " is on point",
    " vibes", " inspo", " 👌", "!!", " is so good", " tips please", " saved", " is next level",
)

ORGANIC_GENERIC: tuple[str, ...] = (
    "beautiful", "so cute!!", "love it", "gorgeous", "wow", "amazing shot", "congrats!!", "haha so true",
    "this made my day", "stunning as always", "you look great", "so proud of you", "miss you!", "yesss",
    "can't wait to try this", "how do you do it", "this is so inspiring", "love your feed", "perfection",
    "looking good", "such a vibe", "aww", "i want to go there", "same here haha", "absolutely love this",
    "thank you for sharing", "you never disappoint", "this is gold", "needed this today", "so true",
)

BOT_GENERIC: tuple[str, ...] = (
    "nice pic", "great content", "awesome post", "cool", "nice", "good job", "amazing", "great pic",
    "nice post", "wow nice", "beautiful pic", "love your page", "great shot", "superb", "very nice",
)

BOT_EMOJI_ONLY: tuple[str, ...] = (
    "🔥🔥🔥", "😍😍😍", "👏👏", "❤️❤️❤️", "🙌🙌", "💯💯", "😍", "🔥", "👍👍👍", "😮🔥", "💕💕", "🤩🤩",
)

BOT_DUPLICATES: tuple[str, ...] = (
    "Wow this is amazing!! keep it up 💪", "Love your content so much 😍😍", "Awesome feed, following you now!",
    "Great post, you deserve more followers!", "Such a beautiful picture 🔥🔥", "Amazing work as always 👏👏",
)

BOT_PROMO: tuple[str, ...] = (
    "check my page 💯", "dm for collab 📩", "DM us for a collab ✉️", "send this pic to @", "promote it on @",
    "earn 500$ a day with crypto, dm me", "invest in bitcoin with @", "free followers at my bio link",
    "want more likes? check my bio", "collab? dm @", "we love your feed, dm us for a shoutout",
    "nice! check out @", "get verified fast dm me",
)

POD_TEXTS: tuple[str, ...] = (
    "This is everything!!", "Yesss love this so much", "Obsessed with this!!", "Such a vibe",
    "You always nail it", "Love love love", "Goals!!", "This is so good", "Absolutely stunning",
    "Need more of this on my feed", "Can't get enough of this", "Slaying as always",
)

FIRST_NAMES: tuple[str, ...] = (
    "anna", "lea", "mia", "emma", "sofia", "laura", "julia", "lena", "sara", "nina", "marie", "clara",
    "elena", "chloe", "camille", "giulia", "martina", "lucia", "olivia", "amelia", "isla", "zoe", "eva",
    "noah", "luca", "leon", "max", "paul", "jonas", "felix", "louis", "hugo", "marco", "matteo", "pablo",
    "diego", "oliver", "jack", "harry", "liam", "ethan", "daan", "sem", "tim", "nico", "david", "ben",
    "alex", "sam", "kim",
)
LAST_NAMES: tuple[str, ...] = (
    "muller", "meier", "schmid", "keller", "weber", "fischer", "wagner", "becker", "martin", "bernard",
    "dubois", "rossi", "russo", "ferrari", "bianchi", "garcia", "lopez", "martinez", "smith", "jones",
    "taylor", "brown", "wilson", "johnson", "miller", "davis", "de jong", "jansen", "visser", "bakker",
    "moreau", "laurent", "romano", "colombo", "sanchez", "perez", "evans", "walker", "hoffmann", "koch",
)

BIO_ROLES: dict[str, tuple[str, ...]] = {
    "fitness": ("personal trainer", "fitness coach", "gym addict", "runner"),
    "beauty": ("makeup artist", "skincare lover", "beauty creator", "mua"),
    "fashion": ("style creator", "fashion lover", "stylist", "outfit inspo"),
    "food": ("home cook", "food lover", "recipe creator", "baker"),
    "travel": ("travel creator", "explorer", "digital nomad", "photographer"),
    "gaming": ("streamer", "gamer", "content creator", "esports fan"),
    "pets": ("dog mom", "cat dad", "pet lover", "rescue advocate"),
    "family": ("mom of two", "dad of three", "family blogger", "parent"),
    "interior": ("interior lover", "diy renovator", "home stylist", "designer"),
    "personal_development": ("mindset coach", "life coach", "author", "entrepreneur"),
}

FOLLOWER_BIOS: tuple[str, ...] = (
    "living my best life", "coffee lover", "travel | food | friends", "photography", "student",
    "just me", "music is life", "dreamer", "nature lover", "mum | wife | runner", "sports fan", "artist",
    "always smiling", "football", "books and tea", "engineer", "love to travel", "dog person",
)
FAKE_BIOS: tuple[str, ...] = (
    "follow for follow", "dm for promo", "crypto trader 💰", "f4f l4l", "link in bio 👇", "earn money online",
)

BRAND_PREFIXES: tuple[str, ...] = (
    "Nova", "Alpen", "Luma", "Vita", "Terra", "Oro", "Zen", "Pure", "Blue", "Urban", "Nord", "Sol", "Aura",
    "Vero", "Kind", "Wild",
)
BRAND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "fitness": ("Fit", "Active", "Sports", "Protein"),
    "beauty": ("Cosmetics", "Skin", "Beauty", "Glow"),
    "fashion": ("Wear", "Studio", "Atelier", "Threads"),
    "food": ("Foods", "Kitchen", "Bakery", "Organics"),
    "travel": ("Travel", "Stays", "Air", "Trips"),
    "gaming": ("Games", "Gear", "Play", "Tech"),
    "pets": ("Pets", "Paws", "Petcare", "Tails"),
    "family": ("Kids", "Baby", "Family", "Toys"),
    "interior": ("Home", "Living", "Design", "Decor"),
    "personal_development": ("Academy", "Mind", "Books", "Coaching"),
}
BRIEF_OPENERS: tuple[str, ...] = (
    "We are launching a new line built around", "Our spring campaign celebrates",
    "Help us introduce our community to", "We want authentic stories about",
    "Looking for creators who genuinely love", "Our new collection is all about",
)
BRIEF_CLOSERS: tuple[str, ...] = (
    "Share a discount code with your audience.", "One feed post and three stories.",
    "Show how it fits into your everyday life.", "Tag us and use the campaign hashtag.",
    "Creators with an engaged local audience preferred.",
)


def niche_words(niche: str) -> tuple[str, ...]:
    """The content vocabulary of a niche, with a clear error for an unknown niche."""
    if niche not in NICHE_WORDS:
        raise KeyError(f"no vocabulary for niche {niche!r}; known: {sorted(NICHE_WORDS)}")
    return NICHE_WORDS[niche]
