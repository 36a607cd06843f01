import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to={paths.overview}>Go to the overview</Link>.
      </p>
    </section>
  );
}
