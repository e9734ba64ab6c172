using TorchSharp;
using static TorchSharp.torch;

namespace PromptLearning.Models;

/// <summary>
/// Where tensors live. A model's device is the device of its parameters (<see cref="Of"/>); every
/// tensor the library makes for a model (batches, masks, positions, prompts, optimizer state) is
/// made there, and values read back into .NET arrays are first copied to the CPU. The device is
/// chosen once, when a model is loaded (<see cref="Checkpoints.PretrainedLoadOptions.Device"/>).
/// </summary>
public static class Devices
{
    /// <summary>The device of <paramref name="module"/>'s parameters (the CPU for a module without any).</summary>
    public static Device Of(nn.Module module) => module.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>
    /// Moves <paramref name="module"/>'s parameters and buffers to <paramref name="device"/> when any of
    /// them is elsewhere (prompts and heads are built on the CPU, where seeded initialisation draws the
    /// same numbers on every machine); a module already there is left as it is.
    /// </summary>
    public static void MoveTo(nn.Module module, Device device)
    {
        bool elsewhere = module.parameters().Concat(module.buffers())
            .Any(t => t.device_type != device.type || (device.index >= 0 && t.device_index != device.index));
        if (elsewhere) module.to(device);
    }

    /// <summary>
    /// <paramref name="device"/> when this process can put tensors there; otherwise an
    /// <see cref="ArgumentException"/> naming <paramref name="option"/> (the setting that asked for it)
    /// and what to change: a CUDA device needs the TorchSharp-cuda package instead of TorchSharp-cpu
    /// and a visible GPU.
    /// </summary>
    public static Device Check(Device device, string option)
    {
        if (device.type == DeviceType.CUDA)
        {
            if (!cuda.is_available())
                throw new ArgumentException($"{option} is '{device}', but TorchSharp finds no CUDA device: this process loaded TorchSharp-cpu " +
                    "(reference TorchSharp-cuda-linux or TorchSharp-cuda-windows instead) or no GPU is visible. Use torch.CPU here, or run where CUDA is available.", option);
            if (device.index >= cuda.device_count())
                throw new ArgumentException($"{option} is '{device}', but only {cuda.device_count()} CUDA device(s) are visible.", option);
        }
        else if (device.type != DeviceType.CPU)
            throw new ArgumentException($"{option} is '{device}'; the library runs on the CPU or on CUDA devices.", option);
        return device;
    }
}
