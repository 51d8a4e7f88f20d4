import '@corpus/ui/ui.css';
import { label, next, type Counter } from '@corpus/counter';

export function setupCounter(element: HTMLButtonElement) {
  let counter: Counter = { value: 0, step: 1 };
  const show = () => {
    element.innerHTML = label(counter);
  };
  element.addEventListener('click', () => {
    counter = next(counter);
    show();
  });
  show();
}
