using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Base of the backbone modules: its state-dict names are exactly those passed to
/// <c>register_module</c> / <c>register_parameter</c> (Hugging Face's names). TorchSharp's automatic
/// registration of fields (which would add C# field and property names) is switched off.
/// </summary>
public abstract class HfModule(string name) : nn.Module(name)
{
    /// <summary>Does nothing: components are registered explicitly under their Hugging Face names.</summary>
    protected override void RegisterComponents() { }
}
