// next/image without Next: a plain <img>.
export default function Image({ priority, ...props }) {
  return <img {...props} />;
}
