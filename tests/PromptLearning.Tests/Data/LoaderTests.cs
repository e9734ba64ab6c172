using PromptLearning.Data;
using PromptLearning.Data.Formats;

namespace PromptLearning.Tests.Data;

/// <summary>Loaders on snippets in the real files' layouts, and their errors on malformed lines.</summary>
public class LoaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "plearn-loaders-" + Guid.NewGuid().ToString("N"));

    public LoaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string content)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, content);
        return p;
    }

    private static void AssertError(Action load, params string[] parts)
    {
        var e = Assert.Throws<InvalidDataException>(load);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void Sst2GlueLayouts()
    {
        // GLUE SST-2 train.tsv (note the real file's trailing space) and test.tsv
        var train = Sst2Tsv.Load(Write("train.tsv", "sentence\tlabel\nhide new secretions from the parental units \t0\ncontains no wit , only labored gags \t0\n"));
        Assert.Equal(new ClassificationExample("hide new secretions from the parental units", null, "0", "train.tsv:2"), train[0]);
        var test = Sst2Tsv.Load(Write("test.tsv", "index\tsentence\n0\tuneasy mishmash of styles and genres .\n"));
        Assert.Equal(("0", (string?)null), (test[0].Id, test[0].Label));
        AssertError(() => Sst2Tsv.Load(Write("bad.tsv", "sentence\tlabel\ngood movie\t1\nbad movie\n")), "bad.tsv:3", "expected 2");
        AssertError(() => Sst2Tsv.Load(Write("bad2.tsv", "sentence\tlabel\ngood movie\tpositive\n")), "bad2.tsv:2", "'label'");
    }

    [Fact]
    public void SuperGlueCbAndRte()
    {
        var cb = SuperGlueJsonl.Load(Write("cb.jsonl",
            "{\"premise\": \"It was a complex language.\", \"hypothesis\": \"the language was peeled down\", \"label\": \"contradiction\", \"idx\": 0}\n" +
            "{\"premise\": \"B said so.\", \"hypothesis\": \"A is right\", \"idx\": 1}\n"));
        Assert.Equal(new ClassificationExample("It was a complex language.", "the language was peeled down", "contradiction", "0"), cb[0]);
        Assert.Null(cb[1].Label);
        var rte = SuperGlueJsonl.Load(Write("rte.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"not_entailment\", \"idx\": 7}\n"));
        Assert.Equal("not_entailment", rte[0].Label);
        AssertError(() => SuperGlueJsonl.Load(Write("bad.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\"}\n{\"premise\": \"p\"\n")), "bad.jsonl:2", "invalid JSON");
        AssertError(() => SuperGlueJsonl.Load(Write("bad2.jsonl", "{\"premise\": \"p\", \"label\": \"neutral\"}\n")), "bad2.jsonl:1", "'hypothesis'");
    }

    [Fact]
    public void AgNewsAndYelpCsv()
    {
        var ag = AgNewsCsv.Load(Write("ag.csv",
            "\"3\",\"Wall St. Bears Claw Back Into the Black (Reuters)\",\"Reuters - Short-sellers, Wall Street's dwindling\\band of ultra-cynics, are seeing green again.\"\n"));
        Assert.Equal("3", ag[0].Label);
        Assert.Equal("Wall St. Bears Claw Back Into the Black (Reuters)", ag[0].TextA);
        Assert.Equal("Reuters - Short-sellers, Wall Street's dwindling band of ultra-cynics, are seeing green again.", ag[0].TextB);
        var yelp = YelpCsv.Load(Write("yelp.csv", "\"5\",\"dr. goldberg offers everything i look for.\\nsaid \"\"hi\"\".\"\n\"1\",\"bad\"\n"));
        Assert.Equal("dr. goldberg offers everything i look for. said \"hi\".", yelp[0].TextA);
        AssertError(() => YelpCsv.Load(Write("bad.csv", "\"5\",\"ok\"\n\"9\",\"what\"\n")), "bad.csv:2", "'label'");
        AssertError(() => YelpCsv.Load(Write("bad2.csv", "\"5\",\"ok\"\n\"4\",\"never closed\n")), "bad2.csv:2", "not closed");
        AssertError(() => AgNewsCsv.Load(Write("bad3.csv", "\"1\",\"title only\"\n")), "bad3.csv:1", "expected 3 fields");
    }

    [Fact]
    public void ConllLayouts()
    {
        // CoNLL-2003 (4 columns, IOB1, -DOCSTART-) and two-column IOB2
        var conll = ConllFile.Load(Write("eng.train", "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\nPeter NNP I-NP I-PER\n"));
        Assert.Equal(2, conll.Count);
        Assert.Equal(new[] { "EU", "rejects", "German" }, conll[0].Tokens);
        Assert.Equal(new[] { "I-ORG", "O", "I-MISC" }, conll[0].Tags);
        AssertError(() => ConllFile.Load(Write("bad.txt", "The B-name\nEagle I-name\nis\n")), "bad.txt:3", "2 columns");
        AssertError(() => ConllFile.Load(Write("bad2.txt", "The B-name\nEagle NAME\n")), "bad2.txt:2", "'NAME'");
        AssertError(() => ConllFile.Load(Write("bad3.txt", "The B-name\n\nEagle B-food\n"), ["O", "B-name"]), "bad3.txt:3", "'B-food'");
    }

    [Fact]
    public void E2eCsvGroupsReferencesByMr()
    {
        var e2e = E2eCsv.Load(Write("trainset.csv",
            "mr,ref\n" +
            "\"name[The Vaults], eatType[pub], priceRange[more than £30], customer rating[5 out of 5], near[Café Adriatic]\",\"The Vaults pub near Café Adriatic has a 5 star rating.  Prices start at £30.\"\n" +
            "\"name[The Vaults], eatType[pub], priceRange[more than £30], customer rating[5 out of 5], near[Café Adriatic]\",\"Close to Café Adriatic, The Vaults pub has high prices.\"\n" +
            "\"name[The Cambridge Blue], eatType[pub], food[English], priceRange[cheap], near[Café Brazil]\",\"Close to Café Brazil, The Cambridge Blue pub serves delicious Tuscan Beef for the cheap price of £10.50.\"\n"));
        Assert.Equal(2, e2e.Count);
        Assert.Equal(2, e2e[0].References.Count);
        Assert.Equal("more than £30", e2e[0].Mr["priceRange"]);
        Assert.Equal("Café Adriatic", e2e[0].Mr["near"]);
        Assert.Equal(5, e2e[0].Mr.Attributes.Count);
        var noRefs = E2eCsv.Load(Write("testset.csv", "MR\n\"name[Blue Spice], eatType[coffee shop], area[city centre]\"\n"));
        Assert.Empty(noRefs[0].References);
        AssertError(() => E2eCsv.Load(Write("bad.csv", "mr,ref\n\"name[Blue Spice], eatType[coffee shop\",\"text\"\n")), "bad.csv:2", "'mr'", "missing ']'");
        AssertError(() => E2eCsv.Load(Write("bad2.csv", "ref\n\"x\"\n")), "bad2.csv:1", "no 'mr' column");
    }

    [Fact]
    public void MeaningRepresentationRoundTrips()
    {
        const string text = "name[The Eagle], eatType[coffee shop], food[French], priceRange[20 to 25 pounds], customer rating[3 out of 5], area[riverside], familyFriendly[yes], near[Burger King]";
        var mr = MeaningRepresentation.Parse(text);
        Assert.Equal(text, mr.ToString());
        Assert.Equal("3 out of 5", mr["customer rating"]);
        Assert.Null(mr["missing"]);
    }

    private string WriteBytes(string name, string before, string after)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, [.. System.Text.Encoding.UTF8.GetBytes(before), 0xC3, 0x28, .. System.Text.Encoding.UTF8.GetBytes(after)]);
        return p;
    }

    public static TheoryData<string, string, string> Formats() => new()
    {
        { "tsv", "sentence\tlabel\ngood\t1\nbad ", "\t0\n" },
        { "jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\"}\n\n{\"premise\": \"", "\", \"hypothesis\": \"h\"}\n" },
        { "csv", "\"1\",\"a\",\"b\"\n\n\"2\",\"", "\",\"b\"\n" },
        { "conll", "The O\n\nEagle", " B-name\n" },
        { "e2e", "mr,ref\n\"name[x]\",\"a\"\n\"name[y]\",\"", "\"\n" },
        { "xsum", "{\"document\": \"d\", \"summary\": \"s\"}\n\n{\"document\": \"", "\", \"summary\": \"s\"}\n" },
    };

    private static List<object> LoadAs(string format, string path) => format switch
    {
        "tsv" => [.. Sst2Tsv.Load(path)],
        "jsonl" => [.. SuperGlueJsonl.Load(path)],
        "csv" => [.. AgNewsCsv.Load(path)],
        "conll" => [.. ConllFile.Load(path)],
        "xsum" => [.. XsumJsonl.Load(path)],
        _ => [.. E2eCsv.Load(path)],
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void InvalidUtf8IsAnErrorWithFileAndLine(string format, string before, string after)
    {
        var path = WriteBytes("bad-utf8." + format, before, after);
        AssertError(() => LoadAs(format, path), path + ":3", "not valid UTF-8");
        Assert.NotEmpty(LoadAs(format, Write("good." + format, before + "x" + after)));
    }

    [Theory]
    [InlineData("tsv")]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("conll")]
    [InlineData("e2e")]
    [InlineData("xsum")]
    public void EmptyFilesAreTheSameErrorInEveryFormat(string format)
    {
        AssertError(() => LoadAs(format, Write("empty." + format, "")), "empty." + format + ":1", "empty file");
        AssertError(() => LoadAs(format, Write("blank." + format, "\uFEFF \n\n")), "blank." + format + ":1", "empty file");
    }

    [Fact]
    public void XsumJsonlReadsDocumentSummaryAndIdAndNamesBadFields()
    {
        var data = XsumJsonl.Load(Write("xsum.jsonl", "{\"document\": \"A long text.\", \"summary\": \"Short.\", \"id\": \"3834\"}\n{\"document\": \"B\", \"summary\": \"b\", \"id\": 7}\n"));
        Assert.Equal(2, data.Count);
        Assert.Equal(("A long text.", "Short.", "3834"), (data[0].Document, data[0].Summary, data[0].Id));
        Assert.Equal("7", data[1].Id);
        AssertError(() => XsumJsonl.Load(Write("nosum.jsonl", "{\"document\": \"d\"}\n")), "nosum.jsonl:1", "missing field 'summary'");
        AssertError(() => XsumJsonl.Load(Write("num.jsonl", "{\"document\": 3, \"summary\": \"s\"}\n")), "num.jsonl:1", "'document'", "string");
        AssertError(() => XsumJsonl.Load(Write("blank.jsonl", "{\"document\": \"d\", \"summary\": \" \"}\n")), "blank.jsonl:1", "'summary'", "empty");
    }

    [Fact]
    public void JsonlLabelsMustBeTheTasksLabels()
    {
        AssertError(() => SuperGlueJsonl.Load(Write("banana.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"banana\"}\n")), "banana.jsonl:1", "'label'", "banana");
        AssertError(() => SuperGlueJsonl.Load(Write("five.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": 5}\n")), "five.jsonl:1", "'label'");
        var rte = Write("rte2.jsonl", "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"not_entailment\"}\n");
        AssertError(() => SuperGlueJsonl.Load(rte, ["entailment", "contradiction", "neutral"]), "rte2.jsonl:1", "not_entailment");
        AssertError(() => AgNewsCsv.Load(Write("ag5.csv", "\"5\",\"t\",\"d\"\n")), "ag5.csv:1", "'class'");
    }
}
