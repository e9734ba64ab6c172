namespace PromptLearning.Data.World;

/// <summary>
/// Turns a meaning representation into an English description in one of many syntactic forms
/// (copular sentences, existentials, fronted locatives, appositions, conditionals, predicate
/// chains, follow-up sentences), keeping track of which tokens express which slot value.
/// </summary>
public static class DescriptionRealiser
{
    private delegate void Realise(TaggedText t, WorldRandom r);

    /// <summary>Realises <paramref name="mr"/> (which must contain a name) as 1-4 sentences.</summary>
    public static TaggedText Describe(MeaningRepresentation mr, WorldRandom r)
    {
        string name = mr["name"] ?? throw new ArgumentException($"MR \"{mr}\" has no name slot", nameof(mr));
        string? eatType = mr["eatType"];
        var rest = r.Shuffle(mr.Attributes.Where(a => a.Slot is not ("name" or "eatType")));
        var pre = new List<SlotValue>();
        var post = new List<SlotValue>();
        var later = new List<SlotValue>();
        foreach (var a in rest)
        {
            double roll = r.NextDouble();
            if (roll < 0.3 && pre.Count < 2 && HasPre(a)) pre.Add(a);
            else if (roll < 0.65 && post.Count < 2) post.Add(a);
            else later.Add(a);
        }
        pre = pre.OrderBy(a => PreOrder(a.Slot)).ToList();

        var t = new TaggedText();
        int frame = r.PickWeighted([5, 2, 2, 2, 1.5, 2]);
        if (frame == 3 && later.Count == 0) frame = 0;
        if (frame == 2 && post.Count == 0) frame = 0;
        switch (frame)
        {
            case 0: // N is a PRE H POST.
                Name(t, name);
                t.Add(r.Pick(["is", "is", "is", "is known as"]));
                NounGroup(t, r, eatType, pre, post);
                t.Punct(".");
                break;
            case 1: // There is a PRE H called N POST.
                t.Add(r.Pick(["There is", "There is", "You will find", "We have"]));
                NounGroup(t, r, eatType, pre, []);
                t.Add(r.Pick(["called", "named", "called", "by the name of"]));
                Name(t, name);
                foreach (var p in post) Post(t, r, p);
                t.Punct(".");
                break;
            case 2: // Fronted: Located in the area, N is a PRE H POST.
                Fronted(t, r, post[0]);
                t.Punct(",");
                Name(t, name);
                t.Add("is");
                NounGroup(t, r, eatType, pre, post.Skip(1).ToList());
                t.Punct(".");
                break;
            case 3: // N, a PRE H POST, PRED.
                Name(t, name);
                t.Punct(",");
                NounGroup(t, r, eatType, pre, post);
                t.Punct(",");
                Pred(t, r, later[0]);
                later.RemoveAt(0);
                if (later.Count > 0 && r.Chance(0.5)) { t.Add("and"); Pred(t, r, later[0]); later.RemoveAt(0); }
                t.Punct(".");
                break;
            case 4: // If you are looking for a PRE H POST, try N.
                t.Add(r.Pick(["If you are looking for", "If you want", "For"]));
                NounGroup(t, r, eatType, pre, post);
                t.Punct(",");
                t.Add(r.Pick(["try", "visit", "go to", "there is"]));
                Name(t, name);
                t.Punct(".");
                break;
            default: // predicate chain without a head noun: N is a H that PRED and PRED.
                later.AddRange(post);
                later.AddRange(pre);
                Name(t, name);
                if (eatType is not null)
                {
                    t.Add("is").Article().Add(eatType, "eatType");
                    if (later.Count > 0)
                    {
                        t.Add(r.Pick(["that", "which"]));
                        Pred(t, r, later[0]);
                        later.RemoveAt(0);
                    }
                }
                else
                {
                    if (later.Count == 0) t.Add("is a place");
                    else { Pred(t, r, later[0]); later.RemoveAt(0); }
                }
                if (later.Count > 0) { t.Add("and"); Pred(t, r, later[0]); later.RemoveAt(0); }
                t.Punct(".");
                break;
        }
        while (later.Count > 0)
        {
            if (r.Chance(0.35))
            {
                Standalone(t, r, later[0]);
                later.RemoveAt(0);
                continue;
            }
            Subject(t, r, name, eatType);
            Pred(t, r, later[0]);
            later.RemoveAt(0);
            if (later.Count > 0 && r.Chance(0.5)) { t.Add("and"); Pred(t, r, later[0]); later.RemoveAt(0); }
            t.Punct(".");
        }
        return t.Finish();
    }

    private static void Name(TaggedText t, string name) => t.Add(name, "name");

    private static void Subject(TaggedText t, WorldRandom r, string name, string? eatType)
    {
        int k = r.Next(eatType is null ? 3 : 4);
        if (k == 0) t.Add("It");
        else if (k == 1) t.Add(r.Pick(["This place", "The venue", "The place"]));
        else if (k == 2) t.Add(name, "name");
        else t.Add("The").Add(eatType!, "eatType");
    }

    private static int PreOrder(string slot) => slot switch
    {
        "customer rating" => 0, "priceRange" => 1, "familyFriendly" => 2, "area" => 3, "food" => 4, _ => 5,
    };

    private static bool HasPre(SlotValue a) => a.Slot switch
    {
        "food" or "area" => true,
        "priceRange" or "customer rating" => IsWordValue(a),
        "familyFriendly" => a.Value == "yes",
        _ => false,
    };

    private static bool IsWordValue(SlotValue a) => !a.Value.Any(char.IsDigit);

    /// <summary>Article, prenominal modifiers, head noun (the eatType or "place"), post-modifiers.</summary>
    private static void NounGroup(TaggedText t, WorldRandom r, string? eatType, List<SlotValue> pre, List<SlotValue> post)
    {
        t.Article();
        foreach (var p in pre) Pre(t, r, p);
        if (eatType is not null) t.Add(eatType, "eatType");
        else t.Add(r.Pick(["place", "venue", "spot"]));
        for (int i = 0; i < post.Count; i++)
        {
            if (i > 0 && r.Chance(0.4)) t.Add("and");
            Post(t, r, post[i]);
        }
    }

    private static string FoodWord(string food) => food switch
    {
        "Fast food" => "fast food",
        "Seafood" => "seafood",
        _ => food,
    };

    private static void FoodNoun(TaggedText t, WorldRandom r, string food)
    {
        if (food is "Fast food" or "Seafood") { t.Add(FoodWord(food), "food"); return; }
        t.Add(food, "food").Add(r.Pick(["food", "food", "cuisine", "dishes", "meals"]));
    }

    private static void Pre(TaggedText t, WorldRandom r, SlotValue a)
    {
        switch (a.Slot)
        {
            case "food": t.Add(FoodWord(a.Value), "food"); break;
            case "area": t.Add(a.Value, "area"); break;
            case "familyFriendly": t.Add(r.Pick(["family-friendly", "kid-friendly", "child-friendly", "family friendly"]), "familyFriendly"); break;
            case "priceRange":
                t.Add(Lexicon.PriceLevel(a.Value) switch
                {
                    0 => r.Pick(["cheap", "inexpensive", "low-priced", "budget"]),
                    1 => r.Pick(["moderately priced", "mid-priced", "moderate"]),
                    _ => r.Pick(["expensive", "high-priced", "pricey", "upmarket"]),
                }, "priceRange");
                break;
            case "customer rating":
                t.Add(Lexicon.RatingLevel(a.Value) switch
                {
                    0 => r.Pick(["poorly rated", "low-rated", "badly rated"]),
                    1 => r.Pick(["averagely rated", "average-rated"]),
                    _ => r.Pick(["highly rated", "top-rated", "well-rated"]),
                }, "customer rating");
                break;
        }
    }

    private static string PriceWord(WorldRandom r, SlotValue a) => Lexicon.PriceLevel(a.Value) switch
    {
        0 => r.Pick(["low", "cheap"]),
        1 => r.Pick(["moderate", "average"]),
        _ => r.Pick(["high", "expensive"]),
    };

    private static string RatingWord(WorldRandom r, SlotValue a) => Lexicon.RatingLevel(a.Value) switch
    {
        0 => r.Pick(["low", "poor"]),
        1 => "average",
        _ => r.Pick(["high", "excellent"]),
    };

    private static void Post(TaggedText t, WorldRandom r, SlotValue a)
    {
        switch (a.Slot)
        {
            case "food":
                t.Add(r.Pick(["serving", "that serves", "offering", "which offers", "with"]));
                FoodNoun(t, r, a.Value);
                break;
            case "area":
                t.Template(r.Pick(["in the {} area", "in the {}", "located in the {}", "in the {} part of town"]), "area", a.Value);
                break;
            case "near":
                t.Template(r.Pick(["near {}", "close to {}", "not far from {}", "next to {}", "by {}", "just around the corner from {}"]), "near", a.Value);
                break;
            case "familyFriendly":
                t.Marked(a.Value == "yes"
                    ? r.Pick(["that [welcomes families]", "where [children are welcome]", "that is [family friendly]"])
                    : r.Pick(["that is [not family friendly]", "where [children are not welcome]", "that is [not kid friendly]"]),
                    "familyFriendly");
                break;
            case "priceRange":
                if (IsWordValue(a)) t.Template(r.Pick(["with {} prices", "in the {} price range", "with a {} price range"]), "priceRange", PriceWord(r, a));
                else t.Template(r.Pick(["with prices of {}", "where meals cost {}", "with a price range of {}"]), "priceRange", a.Value);
                break;
            case "customer rating":
                if (IsWordValue(a)) t.Template(r.Pick(["with a {} customer rating", "with {} ratings from customers", "rated {} by customers"]), "customer rating", RatingWord(r, a));
                else t.Template(r.Pick(["with a customer rating of {}", "rated {} by customers", "with a rating of {}"]), "customer rating", a.Value);
                break;
        }
    }

    private static void Fronted(TaggedText t, WorldRandom r, SlotValue a)
    {
        switch (a.Slot)
        {
            case "area": t.Template(r.Pick(["In the {} area", "Located in the {}", "In the {}", "Down in the {}"]), "area", a.Value); break;
            case "near": t.Template(r.Pick(["Near {}", "Close to {}", "Located near {}", "Not far from {}"]), "near", a.Value); break;
            case "food": t.Add(r.Pick(["Serving", "Offering", "Known for its"])); FoodNoun(t, r, a.Value); break;
            case "familyFriendly":
                t.Marked(a.Value == "yes"
                    ? r.Pick(["[Popular with families]", "[Welcoming to children]", "[Family friendly]"])
                    : r.Pick(["[Not suitable for children]", "[For adults only]", "[Not family friendly]"]),
                    "familyFriendly");
                break;
            default: Post(t, r, a); break;
        }
    }

    /// <summary>A verb phrase for one slot, to follow a subject.</summary>
    private static void Pred(TaggedText t, WorldRandom r, SlotValue a)
    {
        switch (a.Slot)
        {
            case "food":
                t.Add(r.Pick(["serves", "offers", "specialises in", "provides", "cooks"]));
                FoodNoun(t, r, a.Value);
                break;
            case "area":
                t.Template(r.Pick(["is located in the {}", "is in the {} area", "can be found in the {}", "sits in the {}", "is based in the {}"]), "area", a.Value);
                break;
            case "near":
                t.Template(r.Pick(["is near {}", "is located near {}", "is close to {}", "is just around the corner from {}", "can be found near {}", "is next to {}"]), "near", a.Value);
                break;
            case "familyFriendly":
                t.Marked(a.Value == "yes"
                    ? r.Pick(["is [family friendly]", "is [kid friendly]", "[welcomes children]", "is [good for families]", "is [suitable for children]"])
                    : r.Pick(["is [not family friendly]", "is [not kid friendly]", "[does not welcome children]", "is [not suitable for children]", "is [for adults only]"]),
                    "familyFriendly");
                break;
            case "priceRange":
                if (IsWordValue(a))
                {
                    int k = r.Next(3);
                    if (k == 0) t.Add("is").Add(Lexicon.PriceLevel(a.Value) switch
                    {
                        0 => r.Pick(["cheap", "inexpensive", "affordable"]),
                        1 => r.Pick(["moderately priced", "mid-priced"]),
                        _ => r.Pick(["expensive", "pricey", "high-priced"]),
                    }, "priceRange");
                    else if (k == 1) t.Template(r.Pick(["has {} prices", "charges {} prices"]), "priceRange", PriceWord(r, a));
                    else t.Template(r.Pick(["is in the {} price range", "has a {} price range"]), "priceRange", PriceWord(r, a));
                }
                else t.Template(r.Pick(["has a price range of {}", "charges {} per person", "offers meals for {}", "costs {} per head"]), "priceRange", a.Value);
                break;
            case "customer rating":
                if (IsWordValue(a)) t.Template(r.Pick(["has a {} customer rating", "is rated {} by customers", "has {} customer ratings", "has received {} reviews"]), "customer rating", RatingWord(r, a));
                else t.Template(r.Pick(["has a customer rating of {}", "is rated {}", "scores {} with customers", "has been rated {} by its customers"]), "customer rating", a.Value);
                break;
        }
    }

    /// <summary>A whole sentence for one slot with its own subject.</summary>
    private static void Standalone(TaggedText t, WorldRandom r, SlotValue a)
    {
        switch (a.Slot)
        {
            case "priceRange":
                if (IsWordValue(a)) t.Template(r.Pick(["Prices are {}", "The prices are {}", "Prices here are {}"]), "priceRange", PriceWord(r, a));
                else t.Template(r.Pick(["Expect to pay {}", "Meals cost {}", "A meal costs {}"]), "priceRange", a.Value);
                break;
            case "customer rating":
                if (IsWordValue(a)) t.Template(r.Pick(["Customers rate it {}", "Its customer rating is {}", "The customer rating is {}"]), "customer rating", RatingWord(r, a));
                else t.Template(r.Pick(["Customers rate it {}", "Its customer rating is {}", "Diners give it {}"]), "customer rating", a.Value);
                break;
            case "familyFriendly":
                t.Marked(a.Value == "yes"
                    ? r.Pick(["[Children are welcome]", "[Kids are welcome]", "[Families are welcome]"])
                    : r.Pick(["[Children are not allowed]", "[Kids are not welcome]", "It is [no place for children]"]),
                    "familyFriendly");
                break;
            case "food":
                t.Add(r.Pick(["The menu is", "The kitchen serves", "On the menu you will find"]));
                FoodNoun(t, r, a.Value);
                break;
            case "area":
                t.Template(r.Pick(["You will find it in the {}", "It is located in the {} area"]), "area", a.Value);
                break;
            case "near":
                t.Template(r.Pick(["You will find it near {}", "It is a short walk from {}"]), "near", a.Value);
                break;
        }
        t.Punct(".");
    }
}
