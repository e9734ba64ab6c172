using System.Security.Cryptography;
using System.Text;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Prompts;

/// <summary>
/// A short identity of a backbone: SHA-256 over its config JSON (an encoder-decoder: its type and sizes) and, for every tensor of its state
/// dict in name order, the name, shape and 16 values sampled at evenly spaced positions. Two
/// checkpoints of the same architecture with different weights get different fingerprints; a saved
/// prompt records it so that loading it onto another backbone fails clearly. <see cref="Vocabulary"/>
/// identifies the tokenizer the same way, so that the same weights with another vocabulary fail too.
/// </summary>
public static class BackboneFingerprint
{
    private const int SamplesPerTensor = 16;

    /// <summary>The fingerprint of <paramref name="model"/>'s current weights (first 16 hex digits of the hash).</summary>
    public static string Compute(ILanguageModel model) => Compute(model.Config.ToJson(), model.Module);

    /// <summary>
    /// The fingerprint of an encoder-decoder's current weights: as for <see cref="Compute(ILanguageModel)"/>, with its
    /// <c>model_type</c> and <see cref="ISeq2SeqModel.Dimensions"/> in place of the config JSON.
    /// </summary>
    public static string Compute(ISeq2SeqModel model) => Compute($"{model.ModelType} {model.Dimensions}", model.Module);

    private static string Compute(string architecture, TorchSharp.torch.nn.Module module)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(architecture));
        foreach (var (name, t) in module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name + "[" + string.Join(",", t.shape) + "]"));
            var flat = t.detach().flatten().to_type(ScalarType.Float32);
            long n = flat.shape[0];
            if (n == 0) continue;
            var idx = Enumerable.Range(0, SamplesPerTensor).Select(i => (long)((double)i * (n - 1) / (SamplesPerTensor - 1))).Distinct().ToArray();
            var values = flat.index_select(0, tensor(idx, device: flat.device)).cpu().data<float>().ToArray();
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            sha.AppendData(bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>
    /// The identity of <paramref name="tokenizer"/>'s vocabulary (first 16 hex digits of SHA-256 over
    /// every token in id order and the pad, mask, BOS and EOS ids).
    /// </summary>
    public static string Vocabulary(TextTokenizer tokenizer)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"pad {tokenizer.PadTokenId} mask {tokenizer.MaskTokenId} bos {tokenizer.BosTokenId} eos {tokenizer.EosTokenId}\n"));
        for (int id = 0; id < tokenizer.VocabSize; id++)
            sha.AppendData(Encoding.UTF8.GetBytes(tokenizer.IdToToken(id) + "\n"));
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
