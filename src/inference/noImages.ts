// Stands in for `sharp` in the inference worker bundle: transformers.js imports it for image inputs, which a text
// playground never has, and the real package is a native module the .vsix would otherwise have to carry. It must be
// a function (transformers.js checks that an image library is there when it loads); calling it says why it is not.
export default function imagesUnsupported(): never {
  throw new Error('The MedQA inference worker reads text only: image inputs are not supported.');
}
