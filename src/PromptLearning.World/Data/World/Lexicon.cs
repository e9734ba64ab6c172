namespace PromptLearning.Data.World;

/// <summary>
/// The closed word lists of the generated restaurant world: slot values (in the spirit of the E2E
/// data set's eight slots), dishes per cuisine, and the opinion vocabulary of reviews by aspect and
/// polarity. Everything is an ordered array so that generation never depends on hashing order.
/// </summary>
public static class Lexicon
{
    /// <summary>The E2E slot names in their canonical MR order.</summary>
    public static readonly string[] Slots =
        ["name", "eatType", "food", "priceRange", "customer rating", "area", "familyFriendly", "near"];

    internal static readonly string[] NameAdjectives =
    [
        "Golden", "Red", "Blue", "Green", "Silver", "Old", "Little", "Royal", "Olive", "Black",
        "White", "Crown", "Rose", "Cherry", "Maple", "Copper", "Velvet", "Lucky", "Happy", "Wild",
        "Hidden", "Jolly", "Grand", "Twin", "Lazy", "Hungry", "Rustic", "Sunny", "Iron", "Stone",
    ];

    internal static readonly string[] NameNouns =
    [
        "Eagle", "Lion", "Mill", "Phoenix", "Plough", "Vaults", "Wrestlers", "Punter", "Bell", "Anchor",
        "Oak", "Lantern", "Garden", "Kitchen", "Table", "Spoon", "Kettle", "Barrel", "Harbour", "Bridge",
        "Swan", "Fox", "Stag", "Dragon", "Tiger", "Pepper", "Lemon", "Fig", "Orchard", "Wheel",
    ];

    internal static readonly string[] NameWords =
    [
        "Zolano", "Bellini", "Marlowe", "Tandoor", "Kasbah", "Sakura", "Lotus", "Nonna", "Aroma", "Cotta",
        "Fiesta", "Saffron", "Bamboo", "Olivia", "Mezze", "Paprika", "Caravan", "Fennel", "Juniper", "Mango",
        "Alfredo", "Biscotti", "Chutney", "Dolce", "Elmwood", "Fitzroy", "Galloway", "Hawthorn", "Indigo", "Jasmine",
        "Kingsley", "Lavender", "Mistral", "Norfolk", "Oxbow", "Pimento", "Quayside", "Rosemary", "Sorrento", "Thistle",
    ];

    internal static readonly string[] NameSuffixes = ["House", "Kitchen", "Bar", "Corner", "Place", "Rooms", "Cafe", "Inn"];

    /// <summary>Landmarks usable as the value of the near slot (besides other venues' names).</summary>
    internal static readonly string[] Landmarks =
    [
        "the town hall", "the cathedral", "the old bridge", "the railway station", "the city museum",
        "the public library", "the art gallery", "the football ground", "the theatre", "the university",
        "the cinema", "the botanic garden", "the market hall", "the bus station", "the castle",
        "the concert hall", "the clock tower", "the river park", "the swimming pool", "the post office",
        "the Crowne Plaza Hotel", "the Grand Hotel", "the Riverside Hotel", "the Sports Centre", "the Playhouse",
        "the Corn Exchange", "the Guildhall", "the Fire Station", "the Science Park", "the Bowling Green",
    ];

    /// <summary>Venue types (the eatType slot).</summary>
    public static readonly string[] EatTypes = ["restaurant", "coffee shop", "pub", "cafe", "diner"];

    /// <summary>Cuisines (the food slot); the last four are held out of every training split.</summary>
    public static readonly string[] Foods =
    [
        "Italian", "French", "Chinese", "Japanese", "Indian", "English", "Mexican", "Thai", "Greek", "Spanish",
        "Turkish", "Lebanese", "American", "Vietnamese", "Fast food", "Seafood",
        "Korean", "Ethiopian", "Peruvian", "Moroccan",
    ];

    /// <summary>Number of cuisines at the end of <see cref="Foods"/> reserved for the unseen-values split.</summary>
    public const int UnseenFoodCount = 4;

    /// <summary>Areas (the area slot); the last two are held out of every training split.</summary>
    public static readonly string[] Areas =
        ["city centre", "riverside", "old town", "harbour", "market square", "university quarter", "north end", "station quarter"];

    /// <summary>Number of areas at the end of <see cref="Areas"/> reserved for the unseen-values split.</summary>
    public const int UnseenAreaCount = 2;

    /// <summary>priceRange values by level (low, moderate, high): word form and amount form, as in E2E.</summary>
    public static readonly string[][] PriceValues =
    [
        ["cheap", "less than 20 pounds"],
        ["moderate", "20 to 25 pounds"],
        ["high", "more than 30 pounds"],
    ];

    /// <summary>customer rating values by level (low, average, high): word form and score form, as in E2E.</summary>
    public static readonly string[][] RatingValues =
    [
        ["low", "1 out of 5"],
        ["average", "3 out of 5"],
        ["high", "5 out of 5"],
    ];

    /// <summary>Level (0 low, 1 moderate/average, 2 high) of a priceRange value.</summary>
    public static int PriceLevel(string value) => LevelOf(PriceValues, value, "priceRange");

    /// <summary>Level (0 low, 1 average, 2 high) of a customer rating value.</summary>
    public static int RatingLevel(string value) => LevelOf(RatingValues, value, "customer rating");

    private static int LevelOf(string[][] table, string value, string slot)
    {
        for (int i = 0; i < table.Length; i++)
            if (Array.IndexOf(table[i], value) >= 0) return i;
        throw new ArgumentException($"'{value}' is not a {slot} value of the generated world");
    }

    /// <summary>Dishes per cuisine, aligned with <see cref="Foods"/>.</summary>
    internal static readonly string[][] Dishes =
    [
        ["pasta", "pizza", "risotto", "lasagne", "tiramisu", "gnocchi"],
        ["steak", "onion soup", "crepes", "duck", "creme brulee"],
        ["dumplings", "noodles", "fried rice", "spring rolls", "dim sum"],
        ["sushi", "ramen", "tempura", "miso soup", "udon"],
        ["curry", "naan", "biryani", "samosas", "dal"],
        ["fish and chips", "roast beef", "pie", "sausages", "pudding"],
        ["tacos", "burritos", "nachos", "enchiladas", "guacamole"],
        ["green curry", "pad thai", "satay", "tom yum", "sticky rice"],
        ["souvlaki", "moussaka", "gyros", "feta salad", "baklava"],
        ["tapas", "paella", "chorizo", "churros", "tortilla"],
        ["kebab", "meze", "pide", "kofte", "lentil soup"],
        ["falafel", "hummus", "shawarma", "tabbouleh", "flatbread"],
        ["burgers", "ribs", "hot dogs", "milkshakes", "pancakes"],
        ["pho", "banh mi", "rice rolls", "noodle salad", "lemongrass chicken"],
        ["burgers", "fries", "chicken wings", "nuggets", "wraps"],
        ["oysters", "mussels", "grilled fish", "crab", "prawns"],
        ["bibimbap", "kimchi", "bulgogi", "japchae", "fried chicken"],
        ["injera", "tibs", "lentil stew", "shiro", "spiced beef"],
        ["ceviche", "lomo saltado", "empanadas", "quinoa salad", "grilled corn"],
        ["tagine", "couscous", "harira", "pastilla", "mint tea"],
    ];

    /// <summary>Dishes any venue may serve.</summary>
    internal static readonly string[] CommonDishes =
        ["soup", "salad", "dessert", "chips", "bread", "coffee", "tea", "cake", "sandwiches", "cheesecake", "ice cream", "wine", "beer"];

    // ---- review vocabulary -------------------------------------------------------------------

    /// <summary>Aspects of a review, in the class order of the aspect task (AG News style, 1-based).</summary>
    public static readonly string[] Aspects = ["food", "service", "price", "place"];

    /// <summary>Noun phrases per aspect with their grammatical number (true = plural).</summary>
    internal static readonly (string Np, bool Plural)[][] AspectNouns =
    [
        [("the food", false), ("the meal", false), ("the starters", true), ("the main course", false), ("the dessert", false), ("the cooking", false), ("everything we ate", false)],
        [("the service", false), ("the staff", true), ("our waiter", false), ("our waitress", false), ("the waiters", true), ("the manager", false), ("the bartender", false), ("the owner", false)],
        [("the prices", true), ("the bill", false), ("the menu prices", true), ("the drinks prices", true), ("the wine list prices", true)],
        [("the place", false), ("the room", false), ("the decor", false), ("the atmosphere", false), ("the terrace", false), ("the view", false), ("the music", false), ("the tables", true), ("the garden", false), ("the interior", false)],
    ];

    /// <summary>Opinion adjectives per aspect: [aspect][polarity 0 neg / 1 pos][strength 0 mild / 1 strong].</summary>
    internal static readonly string[][][][] Adjectives =
    [
        [ // food
            [["bland", "dry", "salty", "greasy", "mediocre", "lukewarm", "forgettable", "soggy", "chewy"],
             ["awful", "disgusting", "inedible", "terrible", "cold", "burnt", "stale", "revolting", "dreadful"]],
            [["good", "tasty", "fresh", "nice", "decent", "fine", "hearty", "well cooked", "satisfying"],
             ["delicious", "superb", "excellent", "outstanding", "wonderful", "amazing", "perfect", "mouthwatering", "fantastic"]],
        ],
        [ // service
            [["slow", "distracted", "forgetful", "unhelpful", "disorganised", "indifferent", "inattentive", "careless"],
             ["rude", "appalling", "hostile", "dismissive", "incompetent", "arrogant", "terrible", "shocking"]],
            [["friendly", "polite", "helpful", "quick", "pleasant", "efficient", "kind", "cheerful"],
             ["wonderful", "attentive", "charming", "brilliant", "warm", "professional", "exceptional", "lovely"]],
        ],
        [ // price
            [["steep", "high", "a bit much", "on the high side", "pricey", "expensive"],
             ["outrageous", "absurd", "ridiculous", "a rip-off", "extortionate", "insane"]],
            [["reasonable", "fair", "fine", "affordable", "sensible", "modest"],
             ["excellent value", "great value", "a bargain", "incredibly cheap", "unbeatable", "generous"]],
        ],
        [ // place
            [["noisy", "cramped", "dark", "crowded", "gloomy", "draughty", "tired", "uncomfortable"],
             ["dirty", "filthy", "shabby", "smelly", "depressing", "sticky", "dingy", "grim"]],
            [["cosy", "clean", "bright", "pleasant", "relaxed", "comfortable", "quiet", "tidy"],
             ["beautiful", "charming", "elegant", "stunning", "spacious", "stylish", "gorgeous", "delightful"]],
        ],
    ];

    /// <summary>Whole-clause opinions per aspect and polarity ([aspect][polarity]) that use no opinion adjective.</summary>
    internal static readonly string[][][] AspectEvents =
    [
        [
            ["half of the dishes came back untouched", "I could not finish my plate", "the kitchen clearly did not care", "my {dish} tasted of nothing", "the {dish} had been microwaved"],
            ["I would come back just for the {dish}", "the {dish} was the best I have had in years", "every plate came back empty", "the chef knows exactly what he is doing", "I am still thinking about the {dish}"],
        ],
        [
            ["we waited forty minutes for our drinks", "nobody came to take our order", "the waiter forgot half of our order", "we had to ask three times for the bill", "the staff ignored us all evening"],
            ["the staff could not have been more helpful", "our waiter remembered every detail", "they made us feel at home", "the drinks arrived in minutes", "the waitress went out of her way for us"],
        ],
        [
            ["we paid far too much for what we got", "the bill was a nasty surprise", "it is not worth the money", "they charged us for the water", "two small plates cost us a fortune"],
            ["you get a lot for your money", "it is worth every penny", "the lunch deal is a steal", "we paid much less than we expected", "the bill was a pleasant surprise"],
        ],
        [
            ["there was nowhere to sit", "the toilets were a disgrace", "the music was far too loud to talk", "the tables were wobbly and sticky", "it smelled of old grease"],
            ["the view over the water is lovely", "we had a table by the window", "the garden is perfect on a summer evening", "the fire made it feel like home", "it is a lovely spot for a quiet chat"],
        ],
    ];

    /// <summary>Intensifiers for strong opinions.</summary>
    internal static readonly string[] StrongIntensifiers = ["very", "really", "extremely", "incredibly", "truly", "so", "absolutely"];

    /// <summary>Hedges for mild opinions.</summary>
    internal static readonly string[] MildIntensifiers = ["quite", "rather", "fairly", "pretty", "a little", "somewhat"];

    /// <summary>
    /// Overall evaluative adjectives by star rating ([stars - 1][...]), graded as reviewers grade
    /// them on rating sites: 1 terrible, 2 bad, 3 okay, 4 good, 5 great; the first word of each
    /// level is the most frequent.
    /// </summary>
    internal static readonly string[][] Evaluative =
    [
        ["terrible", "awful", "horrible", "dreadful"],
        ["bad", "disappointing", "poor", "not great"],
        ["okay", "fine", "average", "alright", "so-so"],
        ["good", "nice", "decent", "not bad"],
        ["great", "excellent", "wonderful", "fantastic", "brilliant"],
    ];

    internal static readonly string[] Companions =
        ["my wife", "my husband", "my parents", "a few friends", "my colleagues", "the kids", "my sister", "a client", "my partner", "my brother"];

    internal static readonly string[] Occasions =
        ["my birthday", "our anniversary", "a quick lunch", "a late dinner", "a Sunday lunch", "breakfast", "a business lunch", "a date night", "a family meal", "an evening out"];

    internal static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "weekend", "week", "month"];

    /// <summary>Dishes that take a singular verb although they end in "s".</summary>
    internal static readonly string[] SingularDishesEndingInS = ["hummus", "couscous", "gyros", "tibs", "harira", "dal"];

    /// <summary>Function words left out of <see cref="Vocabulary"/>.</summary>
    private static readonly HashSet<string> FunctionWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "of", "to", "in", "on", "at", "for", "and", "my", "our", "than", "out", "is", "was", "were",
        "it", "we", "i", "me", "us", "had", "have", "has", "been", "be", "with", "by", "that", "this", "so", "not",
    };

    /// <summary>
    /// The world's opinion vocabulary, lower-cased, one entry per word: every opinion adjective of
    /// every aspect and polarity, the intensifiers and hedges, and the overall verdicts of every
    /// star level (function words left out). Used for sentiment-word masking as in SKEP (Tian et
    /// al. 2020), which masks a broad sentiment lexicon rather than the label words of a task.
    /// </summary>
    public static IReadOnlyList<string> OpinionVocabulary() => ContentWords(
        Adjectives.SelectMany(a => a.SelectMany(p => p.SelectMany(w => w)))
            .Concat(StrongIntensifiers).Concat(MildIntensifiers).Concat(Evaluative.SelectMany(e => e)));

    /// <summary>The distinct lower-cased words of <paramref name="phrases"/> (split at spaces and hyphens), function words left out, in first-seen order.</summary>
    private static List<string> ContentWords(IEnumerable<string> phrases)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return phrases.SelectMany(p => p.ToLowerInvariant().Split([' ', '-'], StringSplitOptions.RemoveEmptyEntries))
            .Where(w => !FunctionWords.Contains(w) && seen.Add(w))
            .ToList();
    }

    /// <summary>
    /// The world's content vocabulary, lower-cased, one entry per word, in first-seen order: every
    /// word of the venue names, landmarks, venue types, cuisines, areas, price and rating values,
    /// star counts, dishes, aspects and aspect nouns, opinion adjectives, intensifiers, hedges and
    /// overall verdicts (function words left out). Used for knowledge masking in pretraining
    /// (entities, attribute values and opinion words together, as ERNIE/SKEP mask them), so the
    /// masking covers the world broadly rather than the verbalizer words of a few tasks.
    /// </summary>
    public static IReadOnlyList<string> Vocabulary() => ContentWords(
        new IEnumerable<string>[]
        {
            NameAdjectives, NameNouns, NameWords, NameSuffixes, Landmarks, EatTypes, Foods, Areas,
            PriceValues.SelectMany(v => v), RatingValues.SelectMany(v => v), ["1", "2", "3", "4", "5"],
            Dishes.SelectMany(d => d), CommonDishes, Aspects, AspectNouns.SelectMany(a => a.Select(n => n.Np)),
            Adjectives.SelectMany(a => a.SelectMany(p => p.SelectMany(w => w))),
            StrongIntensifiers, MildIntensifiers, Evaluative.SelectMany(e => e),
        }.SelectMany(phrases => phrases));
}
