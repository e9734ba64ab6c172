using System.Reflection;
using PromptLearning.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Native;

public class ScalarsTests
{
    static readonly string BannedSymbolsPath = Path.Combine(TestPaths.RepoRoot(), "src", "BannedSymbols.txt");

    // One IL scan of TorchSharp.dll for both tests that read it.
    static readonly Lazy<SortedSet<string>> Reaching = new(() => ImplicitScalarReach.PublicMethods(typeof(Scalar).Assembly));

    /// <summary>
    /// Every public TorchSharp method whose IL reaches an implicit number-to-Scalar conversion (directly, by a
    /// call, or through a lambda it creates) must be listed in src/BannedSymbols.txt, so that the build rejects
    /// it in src/. Derived from the TorchSharp.dll the tests load: a TorchSharp upgrade that adds such a method
    /// fails here with the lines to add.
    /// </summary>
    [Fact]
    public void EveryTorchSharpMethodThatConvertsAScalarImplicitlyIsBanned()
    {
        var banned = File.ReadLines(BannedSymbolsPath)
            .Where(l => l.StartsWith("M:", StringComparison.Ordinal))
            .Select(l => l.Split(';')[0].Trim())
            .ToHashSet(StringComparer.Ordinal);
        var reaching = Reaching.Value;
        Assert.Contains("M:TorchSharp.torch.Tensor.add_(TorchSharp.torch.Tensor)", reaching);
        Assert.Contains("M:TorchSharp.Scalar.op_Implicit(System.Double)~TorchSharp.Scalar", reaching);
        Assert.Contains("M:TorchSharp.Modules.AdamW.step(System.Func{TorchSharp.torch.Tensor})", reaching);
        var missing = reaching.Where(id => !banned.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} TorchSharp methods create implicit scalars but are not in {BannedSymbolsPath}:\n" + string.Join("\n", missing));
    }

    /// <summary>A method known not to convert (tensor-tensor multiply) is not reported, so the scan is not "everything".</summary>
    [Fact]
    public void TensorTimesTensorIsNotReported()
    {
        var reaching = Reaching.Value;
        Assert.DoesNotContain("M:TorchSharp.torch.Tensor.op_Multiply(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)", reaching);
        Assert.DoesNotContain("M:TorchSharp.torch.Tensor.mul_(TorchSharp.Scalar)", reaching);
    }

    /// <summary>
    /// The helpers under finalizer pressure: another thread forces collections and finalizers nonstop while
    /// the helpers run many small ops. With an implicit scalar (<c>x.add_(y)</c>) this loop failed within a
    /// second on this machine; the helpers must give exact results throughout.
    /// </summary>
    [Fact]
    public void HelpersKeepTheirScalarsAliveUnderFinalizerPressure()
    {
        TorchSharpNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var x = zeros(8);
        using var y = ones(8);
        var stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } }) { IsBackground = true };
        collector.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long rounds = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                for (int i = 0; i < 1000; i++)
                {
                    x.PlusInPlace(y).PlusInPlace(-1.0).TimesInPlace(1.0).DividedByInPlace(1.0);
                    using var sum = x.Plus(y);
                    using var scaled = sum.Times(2.0);
                    using var range = Scalars.Arange(3, 5);
                }
                rounds++;
            }
            Assert.True(rounds > 0);
            Assert.Equal(new float[8], x.data<float>().ToArray());
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
    }

    [Fact]
    public void HelpersComputeWhatTheirNamesSay()
    {
        TorchSharpNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1f, 2f, 4f });
        var b = tensor(new float[] { 10f, 20f, 40f });
        Assert.Equal(new float[] { 11f, 22f, 44f }, a.Plus(b).data<float>().ToArray());
        Assert.Equal(new float[] { 1.5f, 2.5f, 4.5f }, a.Plus(0.5).data<float>().ToArray());
        Assert.Equal(new float[] { 3f, 6f, 12f }, a.Times(3.0).data<float>().ToArray());
        Assert.Equal(new float[] { 0.5f, 1f, 2f }, a.DividedBy(2.0).data<float>().ToArray());
        Assert.Equal(new float[] { 0f, -1f, -3f }, a.SubtractedFrom(1.0).data<float>().ToArray());
        Assert.Equal(new float[] { 1f, 4f, 16f }, a.Squared().data<float>().ToArray());
        var ints = tensor(new long[] { 1, 2 });
        Assert.Equal(ScalarType.Int64, ints.Times(3L).dtype);
        Assert.Equal(ScalarType.Int64, ints.Plus(3L).dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, Scalars.Arange(2, 5).data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2 }, Scalars.Arange(3).data<long>().ToArray());
    }
}

/// <summary>Finds the public TorchSharp methods whose IL reaches <c>Scalar.op_Implicit</c> or a <c>ToScalar</c> extension.</summary>
static class ImplicitScalarReach
{
    public static SortedSet<string> PublicMethods(Assembly torchSharp)
    {
        var callees = new Dictionary<MethodBase, HashSet<MethodBase>>();
        var reaching = new HashSet<MethodBase>();
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in torchSharp.GetTypes())
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            byte[]? il;
            try { il = method.GetMethodBody()?.GetILAsByteArray(); } catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { continue; }
            if (il is null) continue;
            var calls = new HashSet<MethodBase>();
            // A byte scan (call, callvirt, newobj, ldftn, ldvirtftn followed by a method token): it may read a
            // token out of another instruction's operand, which only adds edges, so it over-reports, never under.
            for (int i = 0; i < il.Length; i++)
            {
                int at = il[i] is 0x28 or 0x6F or 0x73 ? i + 1 : il[i] == 0xFE && i + 1 < il.Length && il[i + 1] is 0x06 or 0x07 ? i + 2 : -1;
                if (at < 0 || at + 4 > il.Length) continue;
                int token = BitConverter.ToInt32(il, at);
                if ((uint)token >> 24 is not (0x06 or 0x0A or 0x2B)) continue;
                MethodBase? callee;
                try { callee = type.Module.ResolveMethod(token, type.IsGenericType ? type.GetGenericArguments() : null, method.IsGenericMethod ? method.GetGenericArguments() : null); }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException) { continue; }
                if (callee is null) continue;
                if (callee.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit" || callee.Name.StartsWith("ToScalar", StringComparison.Ordinal)) reaching.Add(method);
                else if (callee.DeclaringType?.Assembly == torchSharp) calls.Add(callee is MethodInfo { IsGenericMethod: true } g ? g.GetGenericMethodDefinition() : callee);
            }
            callees[method] = calls;
        }
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (method, calls) in callees)
                if (!reaching.Contains(method) && calls.Overlaps(reaching)) { reaching.Add(method); grew = true; }
        }
        return new SortedSet<string>(reaching
            .Where(m => m.IsPublic && !m.IsConstructor && IsVisible(m.DeclaringType!) && !m.DeclaringType!.IsGenericType && !m.IsGenericMethod)
            .Select(DocumentationId), StringComparer.Ordinal);
    }

    static bool IsVisible(Type t) => t.IsPublic || t.IsNestedPublic && IsVisible(t.DeclaringType!);

    static string DocumentationId(MethodBase m)
    {
        var parameters = m.GetParameters();
        var id = "M:" + m.DeclaringType!.FullName!.Replace('+', '.') + "." + m.Name +
                 (parameters.Length > 0 ? "(" + string.Join(",", parameters.Select(p => TypeId(p.ParameterType))) + ")" : "");
        return m.Name is "op_Implicit" or "op_Explicit" ? id + "~" + TypeId(((MethodInfo)m).ReturnType) : id;
    }

    static string TypeId(Type t)
    {
        if (t.IsByRef) return TypeId(t.GetElementType()!) + "@";
        if (t.IsArray) return TypeId(t.GetElementType()!) + "[]";
        if (t.IsGenericParameter) return (t.DeclaringMethod is not null ? "``" : "`") + t.GenericParameterPosition;
        if (!t.IsGenericType) return t.FullName!.Replace('+', '.');
        var name = t.GetGenericTypeDefinition().FullName!.Replace('+', '.');
        return name[..name.IndexOf('`')] + "{" + string.Join(",", t.GetGenericArguments().Select(TypeId)) + "}";
    }
}
